// What one script on a page tells the others: live.js says when it has applied an event
// from the stream (follow.js remembers what was seen, consent.js loads new cards), and
// when the story closed or reopened (follow.js offers following only while it is live).
const APPLIED = "liveblog:event";
const STATUS = "liveblog:status";

export function announceApplied(type, id) {
  document.dispatchEvent(new CustomEvent(APPLIED, { detail: { type, id } }));
}

export function onApplied(listener) {
  document.addEventListener(APPLIED, listener);
}

export function announceStatus(status) {
  document.dispatchEvent(new CustomEvent(STATUS, { detail: { status } }));
}

// `listener(status)` runs when the story's status changes while the page is open.
export function onStatus(listener) {
  document.addEventListener(STATUS, (event) => listener(event.detail.status));
}
