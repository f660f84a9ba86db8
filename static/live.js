// Liveblog's reader client, for the story page, its embed and the index. It shows times
// in the reader's zone with "3 min ago" beside them, keeps the story page (and its embed)
// current from the event stream, resuming from the event the page was rendered at, and
// keeps the reader's place: new updates never push what they are reading away,
// permalinks reach updates on older pages. A screen reader hears what arrived through
// one live region (reader-announce.js), and focus stays where it was (reader-focus.js).
import { DELETE, EDIT, POLL, STORY, UPDATE } from "./kinds.js";
import "./callout.js";
import { applyPoll } from "./poll.js";
import { Announcer } from "./reader-announce.js";
import { Connection } from "./reader-connection.js";
import { keepingFocus } from "./reader-focus.js";
import { olderPages } from "./reader-older.js";
import { ReaderPlace } from "./reader-place.js";
import { KeyEvents } from "./reader-key-events.js";
import { followIndex } from "./reader-index.js";
import { copyLinks, decorate, fromHTML, place, trim } from "./reader-updates.js";
import { ResumingStream } from "./resume.js";
import { announceApplied, announceStatus } from "./signals.js";
import { say } from "./text.js";
import { keepAgoCurrent, localTimes, showAsAgo } from "./times.js";

localTimes(document);
document.querySelectorAll("article.update").forEach(decorate);
keepAgoCurrent();

const story = document.getElementById("story");
if (story) follow(story);
const stories = document.getElementById("stories");
if (stories) followIndex(stories);

function follow(story) {
  const list = document.getElementById("updates");
  const keyEvents = new KeyEvents(document.getElementById("key-events"));
  // "Updated 5 min ago" at the top: the newest update's time (out of every live region).
  const updated = document.getElementById("story-updated");
  const updatedTime = updated && updated.querySelector("time");
  if (updatedTime && !updated.hidden) showAsAgo(updatedTime, updatedTime.getAttribute("datetime"));
  function newestAt(createdAt) {
    if (!updatedTime || !createdAt) return;
    const shown = Number(updatedTime.dataset.at) || 0;
    if (!updated.hidden && new Date(createdAt).getTime() <= shown) return;
    showAsAgo(updatedTime, createdAt);
    updated.hidden = false;
  }
  const embedded = story.dataset.embed === "yes";
  const keyOnly = story.dataset.filter === "key";
  const keep = Number(story.dataset.keep) || 0;
  const announcer = new Announcer(document.getElementById("announcer"));
  const readerPlace = new ReaderPlace(list, embedded, (text) => announcer.note(text));

  // Rich-embed cards need consent.js; most pages have none, so it loads only once one shows.
  function needConsent() {
    if (document.querySelector(".embed-card")) import(story.dataset.consentScript);
  }
  needConsent();
  copyLinks(list, (text) => announcer.note(text));
  if (!embedded) olderPages(list, story.dataset.slug);
  if (embedded && window.parent !== window && window.ResizeObserver) reportHeight(story);
  if (embedded && window.ResizeObserver) fadeWhereCut(story.querySelector(".embed-clip"));

  // Search results are a fixed list; the key-events view stays live, with key events only.
  if (!window.EventSource || story.dataset.filter === "search") return;
  const connection = new Connection(announcer, () => story.dataset.status !== "closed");
  // Without script the banner asks for a reload; from here on the page updates itself.
  const banner = document.getElementById("live-banner");
  if (banner) banner.replaceWith(liveBanner());

  function liveBanner() {
    // The page carries the banner's markup (templates/_banner.html) in its live wording.
    const fresh = document.getElementById("live-banner-template").content.firstElementChild.cloneNode(true);
    fresh.id = "live-banner";
    return fresh;
  }

  // The banner's dot pulses again (its few pulses, style.css) when an update arrives.
  function pulse() {
    const dot = document.querySelector("#live-banner .live-dot");
    if (dot) dot.classList.toggle("again");
  }

  function onUpdate(data, kind) {
    if (kind === UPDATE) newestAt(data.created_at);
    if (keyOnly && !data.key_event) {
      onDelete(data);
      return;
    }
    const article = fromHTML(data.html);
    const old = document.getElementById("update-" + data.id);
    const away = keepingFocus(list, () => readerPlace.holding(() => {
      if (old) old.replaceWith(article);
      if (data.pinned || !old || old.classList.contains("pinned")) place(list, article);
      trim(list, keep);
    }));
    // A replay (on page load, or catching up after a lost connection) is not announced.
    if (article.isConnected && !connection.catchingUp) {
      if (kind === EDIT) announcer.edit(article);
      else if (!old) {
        announcer.arrived(article);
        pulse();
      }
    }
    if (!old && away && article.isConnected) readerPlace.arrived(!connection.catchingUp);
    keyEvents.update(data, kind === UPDATE && !old);
    const empty = document.getElementById("no-updates");
    if (empty) empty.remove();
  }

  function onDelete(data) {
    const old = document.getElementById("update-" + data.id);
    if (old) keepingFocus(list, () => readerPlace.holding(() => old.remove()));
    announcer.removed("update-" + data.id);
    keyEvents.update({ id: data.id, key_event: false });
  }

  function onStory(data) {
    document.getElementById("story-title").textContent = data.title;
    document.getElementById("story-summary").textContent = data.summary;
    document.title = say("pageTitle", { title: data.title });
    const was = story.dataset.status;
    story.dataset.status = data.status;
    const banner = document.getElementById("live-banner");
    const note = document.getElementById("closed-note");
    if (data.status === "closed") {
      // What a reload would show: the closed note, with the time, in the banner's place.
      const fresh = closedNote(data.closed_at);
      if (note) note.replaceWith(fresh);
      else if (banner) banner.replaceWith(fresh);
      else story.prepend(fresh);
      if (banner && banner.isConnected) banner.remove();
      if (was !== "closed" && !connection.catchingUp) announcer.note(fresh.textContent);
    } else if (!banner) {
      story.prepend(liveBanner());
      if (note) note.remove();
    }
    if (was !== data.status) announceStatus(data.status);
  }

  // templates/_banner.html's closed note, from the page's sentences.
  function closedNote(closedAt) {
    const note = document.createElement("p");
    note.className = "closed-note";
    note.id = "closed-note";
    if (!closedAt) {
      note.textContent = say("closedNote");
      return note;
    }
    const [before, after = ""] = say("closedAt").split("{time}");
    const time = document.createElement("time");
    time.setAttribute("datetime", closedAt);
    note.append(before, time, after);
    localTimes(note);
    return note;
  }

  const stream = new ResumingStream(story.dataset.stream, story.dataset.lastEventId, {
    handlers: {
      [UPDATE]: (data) => onUpdate(data, UPDATE),
      [EDIT]: (data) => onUpdate(data, EDIT),
      [DELETE]: onDelete,
      [STORY]: onStory,
      [POLL]: applyPoll,
    },
    wanted: () => story.dataset.status !== "closed",
    onApplied(event, lastId) {
      story.dataset.lastEventId = lastId;
      connection.applied(event.type);
      needConsent();
      announceApplied(event.type, lastId);
    },
    onState(state) {
      // "yes" once the stream is open and what it replayed is applied.
      if (state === "open") {
        connection.opened(() => { story.dataset.connected = "yes"; });
      } else {
        story.dataset.connected = "no";
        connection.failed();
      }
    },
  });
  stream.resume();
}

// The embed's updates past its height are cut off: a fade says so, above "Read more".
function fadeWhereCut(clip) {
  if (!clip) return;
  const check = () => clip.classList.toggle("clipped", clip.scrollHeight > clip.clientHeight + 1);
  const observer = new ResizeObserver(check);
  observer.observe(clip);
  observer.observe(document.getElementById("updates"));
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
