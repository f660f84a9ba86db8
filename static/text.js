// Every sentence the page scripts show, in one place, so that a catalog delivered with
// the page can stand in for them. `{name}` is filled in by `say`; an entry with `one`
// and `other` is chosen by the count `n` under the page's language rules.

export const TEXT = {
  // times (times.js)
  agoNow: "just now",
  agoMinutes: "{n} min ago",
  agoHours: "{n} hr ago",
  agoDays: { one: "{n} day ago", other: "{n} days ago" },

  // the reader's page (live.js and its parts)
  copyLink: "Copy link",
  copied: "Copied",
  copyPrompt: "Copy this link:",
  copyLinkTo: "Copy link to update: {text}",
  newUpdates: { one: "↑ {n} new update", other: "↑ {n} new updates" },
  pageTitle: "{title} · Liveblog",
  showAllKeyEvents: { one: "Show all {n} key event", other: "Show all {n} key events" },
  // what the page's announcer says (reader-announce.js), and the banner (reader-connection.js)
  saidNew: "{text} — new update",
  saidSeveral: { one: "{n} new update, the latest: {text}", other: "{n} new updates, the latest: {text}" },
  saidEdited: "Updated: {text}",
  reconnectingLive: "Reconnecting…",
  backLive: "Live",
  caughtUp: { one: "Live · {n} update caught up", other: "Live · {n} updates caught up" },
  closedAt: "This story is no longer being updated (closed {time}).",
  closedNote: "This story is no longer being updated.",
  updateGone: "This update is no longer available.",

  // reader tools (follow.js)
  newSinceVisit: "New since your last visit",
  sinceVisit: { one: "{n} update since your last visit", other: "{n} updates since your last visit" },
  followPush: "Notify me of key events",
  unfollowPush: "Stop notifications",
  pushBlocked: "Notifications are blocked for this site",

  // polls (poll.js)
  pollFailed: "Your vote could not be sent; check your connection and try again.",
  pollRefusedClosed: "Your vote was not counted: this poll has closed, or this browser has voted in it already.",
  pollTooMany: "Too many votes from your network just now; try again in a minute.",

  // rich embeds (consent.js)
  embedLoadedFrom: "Loaded from {provider}. ",
  embedStopLoading: "Stop loading {provider} content automatically",
  embedFailed: "This content could not be loaded from {provider}; follow the link to see it there.",
  embedFrameTitle: "{provider} content",

  // the desk (desk*.js)
  deskTitle: "Desk: {title} · Liveblog",
  zoneHint: "your time, {zone}",
  notSaved: "Not saved (the server answered {status}).",
  notLoaded: "This update’s text could not be loaded: close the edit form and open it again.",
  notSent: "Not sent: the connection failed. Everything you typed is still here; try again.",
  sentForApproval: "Sent for approval",
  scheduled: "Update scheduled",
  posted: "Update posted",
  pin: "Pin",
  unpin: "Unpin",
  postUpdate: "Post update",
  scheduleUpdate: "Schedule update",
  changedMeanwhile: "Someone else changed this update while you were editing it. Saving replaces their version with yours.",
  deletedMeanwhile: "Another editor deleted this update. Your unsaved text is still below: copy it before you leave.",
  publishedMeanwhile: "An editor published this update while you were editing it: saving changes the published update.",
  rejectedMeanwhile: "An editor rejected this update while you were editing it. Your unsaved text is still below: copy it before you leave.",
  movedToDrafts: "This update moved to the drafts while you were editing it; your text is kept below.",
  movedToSchedule: "This update moved to the schedule while you were editing it; your text is kept below.",
  connected: "· connected",
  reconnecting: "· reconnecting…",
  storyClosed: "· story closed: not updating",
  draftKept: "Draft kept in this browser",
  draftNotKept: "This browser cannot keep a draft",
  draftRestored: "Draft restored from this browser",
  charCount: { one: "{count} of {limit} character", other: "{count} of {limit} characters" },
  charsLeft: { one: "{count} character left", other: "{count} characters left" },
  charsOver: { one: "{count} character over the limit", other: "{count} characters over the limit" },
  replacesPin: "This replaces the pinned update: {headline}",
  chooseImage: "Choose an image first.",
  imageTooLarge: "The image is too large: at most {mb} MB.",
  imageUploading: "Uploading the image…",
  imageAdded: "Image added to the text",
  leadImageReady: "Image uploaded: save the story’s settings to make it the lead image.",
  onDesk: "On the desk now: {names}",
};

// The page's own language, when it is not English: liveblog/script_text.py, from the catalogs.
const delivered = document.getElementById("liveblog-text");
if (delivered) Object.assign(TEXT, JSON.parse(delivered.textContent));

const plurals = new Intl.PluralRules(document.documentElement.lang || undefined);

// The text under `key`, with `{name}` replaced by values[name].
export function say(key, values = {}) {
  let text = TEXT[key];
  if (typeof text === "object") text = text[plurals.select(values.n)] || text.other;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}
