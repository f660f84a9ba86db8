// Older updates and permalinks: "Older updates" appends the next page in place, and an
// address #update-N opens at that update, loading older pages until it is found. Neither
// is announced (the list is no live region); from "Older updates", focus goes to the
// first update it loaded.
import { focusOn } from "./reader-focus.js";
import { ready } from "./reader-updates.js";

const MOST_PAGES = 200;

export function olderPages(list) {
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

  function reachHash() {
    const match = /^#update-(\d+)$/.exec(location.hash);
    if (!match) return;
    document.querySelectorAll(".targeted").forEach((el) => el.classList.remove("targeted"));
    const step = (pages) => {
      const el = document.getElementById("update-" + match[1]);
      if (el) return show(el);
      if (pages > MOST_PAGES) return;
      loadOlder().then((more) => { if (more) step(pages + 1); }, () => {});
    };
    step(0);
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
