// Times to publish at, typed in this browser's zone. A datetime-local field sends the
// wall-clock time as typed, without a zone. Beside it a hidden `tz_offset` carries this
// zone's offset on that date (minutes east of UTC; it differs across a change to summer
// time), so the server gets the instant meant. Without script the field is UTC, as its
// hint says.
import { say } from "./text.js";

function pad(n) { return (n < 10 ? "0" : "") + n; }

function wallClock(when) {
  return when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" + pad(when.getDate()) +
    "T" + pad(when.getHours()) + ":" + pad(when.getMinutes()) + ":" + pad(when.getSeconds());
}

function zoneName() {
  let minutes = -new Date().getTimezoneOffset();
  let name = "";
  try { name = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { name = ""; }
  const sign = minutes < 0 ? "-" : "+";
  minutes = Math.abs(minutes);
  const offset = "UTC" + sign + pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60);
  return say("zoneHint", { zone: (name ? name + ", " : "") + offset });
}

// Each time field below `root`: its hint names this zone, a stored UTC time (data-utc)
// is shown as this zone's wall-clock time.
export function zoneFields(root) {
  root.querySelectorAll("input[data-zone]").forEach((input) => {
    const hint = input.form && input.form.querySelector("[data-zone-hint]");
    if (hint) hint.textContent = zoneName();
    const utc = input.getAttribute("data-utc");
    if (utc && !isNaN(new Date(utc))) input.value = input.defaultValue = wallClock(new Date(utc));
    input.removeAttribute("data-utc");
  });
}

export function fillOffsets(form) {
  const input = form.querySelector("input[data-zone]");
  if (!input || !form.elements.tz_offset) return;
  const when = new Date(input.value);  // a date-time without a zone is read as local time
  form.elements.tz_offset.value = isNaN(when) ? "" : String(-when.getTimezoneOffset());
}
