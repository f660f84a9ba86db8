// Times as the reader sees them: every <time datetime> in their own zone, and beside an
// update's time how long ago it was, kept current while the page stays open.
import { say } from "./text.js";

const AGO_REFRESH_MS = 30000;

function clockText(when) {
  return when.toLocaleString(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
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
  root.querySelectorAll("time[datetime]").forEach((el) => {
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

export function keepAgoCurrent() {
  setInterval(() => {
    document.querySelectorAll(".ago[data-at]").forEach((el) => {
      const text = agoText(Number(el.dataset.at));
      if (el.textContent !== text) el.textContent = text;
    });
  }, AGO_REFRESH_MS);
}
