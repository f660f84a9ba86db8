// What one script on a page tells the others: live.js says when it has applied an event
// from the stream (follow.js remembers what was seen, consent.js loads new cards).
const APPLIED = "liveblog:event";

export function announceApplied(type, id) {
  document.dispatchEvent(new CustomEvent(APPLIED, { detail: { type, id } }));
}

export function onApplied(listener) {
  document.addEventListener(APPLIED, listener);
}
