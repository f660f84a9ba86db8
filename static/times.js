// Times as the reader sees them: every <time datetime> in their own zone, and beside an
// update's time how long ago it was, kept current while the page stays open.
import { say } from "./text.js";

const AGO_REFRESH_MS = 30000;

// The shape liveblog/i18n.py's `clock` writes on the server, in the page's language and
// the reader's zone, saying which: "1 Dec, 14:44 CET"; the year only when not this year's.
const lang = document.documentElement.lang || undefined;
const CLOCK = { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  timeZoneName: "short", calendar: "gregory" };
const thisYear = new Intl.DateTimeFormat(lang, CLOCK);
const otherYear = new Intl.DateTimeFormat(lang, { ...CLOCK, year: "numeric" });

export function clockText(when) {
  return (when.getFullYear() === new Date().getFullYear() ? thisYear : otherYear).format(when);
}

export function agoText(ms) {
  const minutes = Math.round((Date.now() - ms) / 60000);
  if (minutes < 1) return say("agoNow");
  if (minutes < 60) return say("agoMinutes", { n: minutes });
  if (minutes < 1440) return say("agoHours", { n: Math.floor(minutes / 60) });
  return say("agoDays", { n: Math.floor(minutes / 1440) });
}

// Rewrites every <time datetime> below `root` in this browser's zone (the server wrote UTC).
export function localTimes(root) {
  root.querySelectorAll("time[datetime]:not(.ago)").forEach((el) => {
    const when = new Date(el.getAttribute("datetime"));
    if (isNaN(when)) return;
    el.textContent = clockText(when);
    el.title = when.toString();
  });
}

// A "3 min ago" for the instant `datetime`, which `keepAgoCurrent` keeps true.
export function agoElement(datetime) {
  const ago = document.createElement("span");
  ago.className = "ago";
  ago.dataset.at = new Date(datetime).getTime();
  ago.textContent = agoText(Number(ago.dataset.at));
  return ago;
}

// A <time datetime> shown as how long ago it was (its full time in its title), kept
// current by `keepAgoCurrent`.
export function showAsAgo(el, datetime) {
  const when = new Date(datetime);
  if (isNaN(when)) return;
  el.setAttribute("datetime", datetime);
  el.classList.add("ago");
  el.dataset.at = when.getTime();
  el.textContent = agoText(when.getTime());
  el.title = clockText(when);
}

export function keepAgoCurrent() {
  setInterval(() => {
    document.querySelectorAll(".ago[data-at]").forEach((el) => {
      const text = agoText(Number(el.dataset.at));
      if (el.textContent !== text) el.textContent = text;
    });
  }, AGO_REFRESH_MS);
}
