// Liveblog's reader client, for the story page, its embed and the index. It shows times
// in the reader's zone with "3 min ago" beside them, keeps the story page (and its embed)
// current from the event stream, resuming from the event the page was rendered at, and
// keeps the reader's place: new updates never push what they are reading away,
// permalinks reach updates on older pages.
import { DELETE, EDIT, STORY, UPDATE } from "./kinds.js";
import { olderPages } from "./reader-older.js";
import { ReaderPlace } from "./reader-place.js";
import { copyLinks, decorate, fromHTML, keyEvent, place, trim } from "./reader-updates.js";
import { ResumingStream } from "./resume.js";
import { announceApplied } from "./signals.js";
import { say } from "./text.js";
import { keepAgoCurrent, localTimes } from "./times.js";

localTimes(document);
document.querySelectorAll("article.update").forEach(decorate);
keepAgoCurrent();

const story = document.getElementById("story");
if (story) follow(story);

function follow(story) {
  const list = document.getElementById("updates");
  const keyList = document.getElementById("key-events");
  const embedded = story.dataset.embed === "yes";
  const keyOnly = story.dataset.filter === "key";
  const keep = Number(story.dataset.keep) || 0;
  const readerPlace = new ReaderPlace(list, embedded);

  // Rich-embed cards need consent.js; most pages have none, so it loads only once one shows.
  function needConsent() {
    if (document.querySelector(".embed-card")) import(story.dataset.consentScript);
  }
  needConsent();
  copyLinks(list);
  if (!embedded) olderPages(list);
  if (embedded && window.parent !== window && window.ResizeObserver) reportHeight(story);

  // Search results are a fixed list; the key-events view stays live, with key events only.
  if (!window.EventSource || story.dataset.filter === "search") return;

  function onUpdate(data) {
    if (keyOnly && !data.key_event) {
      onDelete(data);
      return;
    }
    const article = fromHTML(data.html);
    const old = document.getElementById("update-" + data.id);
    const away = readerPlace.holding(() => {
      if (old) old.replaceWith(article);
      if (data.pinned || !old || old.classList.contains("pinned")) place(list, article);
      trim(list, keep);
    });
    if (!old && away && article.isConnected) readerPlace.arrived();
    keyEvent(keyList, data);
    const empty = document.getElementById("no-updates");
    if (empty) empty.remove();
  }

  function onDelete(data) {
    const old = document.getElementById("update-" + data.id);
    if (old) readerPlace.holding(() => old.remove());
    keyEvent(keyList, { id: data.id, key_event: false });
  }

  function onStory(data) {
    document.getElementById("story-title").textContent = data.title;
    document.getElementById("story-summary").textContent = data.summary;
    document.title = say("pageTitle", { title: data.title });
    story.dataset.status = data.status;
    const banner = document.getElementById("live-banner");
    if (data.status === "closed" && banner) banner.remove();
    if (data.status !== "closed" && !banner) {
      // The page carries the banner's markup (templates/_banner.html) for a story that reopens.
      const fresh = document.getElementById("live-banner-template").content.firstElementChild.cloneNode(true);
      fresh.id = "live-banner";
      story.prepend(fresh);
      const note = document.getElementById("closed-note");
      if (note) note.remove();
    }
  }

  const stream = new ResumingStream(story.dataset.stream, story.dataset.lastEventId, {
    handlers: { [UPDATE]: onUpdate, [EDIT]: onUpdate, [DELETE]: onDelete, [STORY]: onStory },
    wanted: () => story.dataset.status !== "closed",
    onApplied(event, lastId) {
      story.dataset.lastEventId = lastId;
      needConsent();
      announceApplied(event.type, lastId);
    },
    onState(state) { story.dataset.connected = state === "open" ? "yes" : "no"; },
  });
  stream.resume();
}

// Inside an iframe: tell the host page (static/embed.js) how tall we are.
function reportHeight(story) {
  let reported = 0;
  new ResizeObserver(() => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === reported) return;
    reported = height;
    // Only a height goes out, so any host may read it; embed.js checks our origin.
    window.parent.postMessage({ liveblog: "height", slug: story.dataset.slug, height }, "*");
  }).observe(document.documentElement);
}
