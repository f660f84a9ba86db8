// The index, live: every 30 s (and when the tab comes back into view) it asks
// /api/stories with the ETag of the last answer, so an unchanged list costs a 304; a
// story started or closed meanwhile takes its place, labelled as the server labels it
// (the items are cloned from the page's templates, in its language).
import { localTimes } from "./times.js";

const POLL_MS = 30000;

export function followIndex(list) {
  let etag = null;
  let asking = false;

  function item(story) {
    const template = document.getElementById("story-item-" + (story.status === "closed" ? "closed" : "live"));
    const li = template.content.firstElementChild.cloneNode(true);
    li.dataset.slug = story.slug;
    return li;
  }

  function fill(li, story) {
    const link = li.querySelector("a");
    link.setAttribute("href", "/stories/" + encodeURIComponent(story.slug));
    if (link.textContent !== story.title) link.textContent = story.title;
    link.lang = story.language;
    const summary = li.querySelector("p");
    summary.textContent = story.summary;
    summary.lang = story.language;
    summary.hidden = !story.summary;
    const time = li.querySelector(".story-time time");
    if (time.getAttribute("datetime") !== story.updated_at) {
      time.setAttribute("datetime", story.updated_at);
      localTimes(li);
    }
  }

  function show(stories) {
    const items = new Map(Array.from(list.children, (li) => [li.dataset.slug, li]));
    const wanted = stories.map((story) => {
      let li = items.get(story.slug);
      if (!li || !li.classList.contains(story.status)) {
        const fresh = item(story);
        if (li) li.replaceWith(fresh);
        li = fresh;
      }
      fill(li, story);
      items.delete(story.slug);
      return li;
    });
    items.forEach((li) => li.remove());
    // Moved only where the order changed, so a focused link stays put otherwise.
    wanted.forEach((li, n) => { if (list.children[n] !== li) list.insertBefore(li, list.children[n] || null); });
    document.getElementById("no-stories").hidden = stories.length > 0;
  }

  function poll() {
    if (asking || document.hidden) return;
    asking = true;
    fetch(list.dataset.source, { cache: "no-store", headers: etag ? { "If-None-Match": etag } : {} })
      .then((r) => {
        if (r.status === 304 || !r.ok) return null;
        etag = r.headers.get("ETag");
        return r.json();
      })
      .then((data) => { if (data) show(data.stories); })
      .catch(() => {})
      .finally(() => { asking = false; });
  }

  setInterval(poll, POLL_MS);
  document.addEventListener("visibilitychange", poll);
}
