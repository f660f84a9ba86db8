// The event kinds of a story's two logs, named once for every script. They are the
// names liveblog/events.py gives them (READER_KINDS, DESK_KINDS), which the streams
// send as each frame's `event:`.

// The readers' log: /stories/{slug}/events.
export const STORY = "story";
export const UPDATE = "update";
export const EDIT = "edit";
export const DELETE = "delete";
// A poll's counts, counted (a few a second at most, however many vote), and its final ones.
export const POLL = "poll";
export const READER_KINDS = [STORY, UPDATE, EDIT, DELETE, POLL];

// The desk's log: /api/stories/{slug}/desk/events, whose kind is the status a queued
// update moved to.
export const DRAFT = "draft";
export const SCHEDULED = "scheduled";
export const PUBLISHED = "published";
export const REJECTED = "rejected";
export const DESK_KINDS = [DRAFT, SCHEDULED, PUBLISHED, REJECTED];
// Also in the desk's log: a line of its chat, and a reader's answer or question that came
// in or was dealt with (by id only: the desk reads it from the server).
export const CHAT = "chat";
export const SUBMISSION = "submission";

// Sent on the desk's stream beside its log (never stored, so it has no id): who has the
// story's desk open now.
export const PRESENCE = "presence";
