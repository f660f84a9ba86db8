// Older updates and permalinks: "Older updates" appends the next page in place, and an
// address #update-N opens at that update, loading older pages until it is found. Neither
// is announced (the list is no live region); from "Older updates", focus goes to the
// first update it loaded. A permalink to an update that is gone (deleted, or never
// was) says so above the updates, instead of loading every older page looking for it.
import { focusOn } from "./reader-focus.js";
import { ready } from "./reader-updates.js";
import { say } from "./text.js";

const MOST_PAGES = 200;

export function olderPages(list, slug) {
  let loading = null;

  // Appends the next page of older updates; resolves to the updates added, or false when
  // there is no next page.
  function loadOlder() {
    const link = document.getElementById("older-link");
    if (!link) return Promise.resolve(false);
    if (loading) return loading;
    link.setAttribute("aria-busy", "true");
    loading = fetch(link.href, { credentials: "same-origin" }).then((r) => {
      if (!r.ok) throw new Error(r.status);
      return r.text();
    }).then((html) => {
      const doc = new DOMParser().parseFromString(html, "text/html");
      const added = [];
      doc.querySelectorAll("#updates article.update").forEach((el) => {
        if (document.getElementById(el.id)) return;
        added.push(list.appendChild(ready(document.importNode(el, true))));
      });
      const next = doc.getElementById("older-link");
      if (next) link.href = next.href; else link.parentElement.remove();
      return added;
    }).finally(() => {
      link.removeAttribute("aria-busy");
      loading = null;
    });
    return loading;
  }

  function show(el) {
    el.classList.add("targeted");
    el.scrollIntoView({ block: "start" });
    el.setAttribute("tabindex", "-1");
    el.focus({ preventScroll: true });
  }

  // Resolves to false when the server says there is no such published update.
  function exists(id) {
    return fetch(`/api/stories/${encodeURIComponent(slug)}/updates/${id}`, { credentials: "same-origin" })
      .then((r) => r.status !== 404, () => true);
  }

  function gone() {
    let note = document.getElementById("gone-update");
    if (!note) {
      note = document.createElement("p");
      note.id = "gone-update";
      note.className = "gone-update";
      note.setAttribute("tabindex", "-1");
      list.before(note);
    }
    note.textContent = say("updateGone");
    note.scrollIntoView({ block: "start" });
    note.focus({ preventScroll: true });
  }

  function reachHash() {
    const match = /^#update-(\d+)$/.exec(location.hash);
    const note = document.getElementById("gone-update");
    if (note) note.remove();
    if (!match) return;
    document.querySelectorAll(".targeted").forEach((el) => el.classList.remove("targeted"));
    const id = match[1];
    const step = (pages) => {
      const el = document.getElementById("update-" + id);
      if (el) return show(el);
      if (pages > MOST_PAGES) return;
      loadOlder().then((more) => { if (more) step(pages + 1); }, () => {});
    };
    if (document.getElementById("update-" + id)) return step(0);
    exists(id).then((found) => {
      if (!found) gone();
      else step(0);
    });
  }

  const older = document.getElementById("older-link");
  if (older) older.addEventListener("click", (e) => {
    e.preventDefault();
    loadOlder().then((added) => {
      if (added && added.length) focusOn(added[0], { preventScroll: false });
    }, () => { location.href = older.href; });
  });
  window.addEventListener("hashchange", reachHash);
  reachHash();
}
