// How many characters a field holds against the server's limit (inputs.py, given as
// data-limit), shown under it as it is typed. Screen readers are told politely, and only
// when the text comes near the limit or goes over it, not at every keystroke.
import { say } from "./text.js";

const NEAR = 0.9;  // of the limit
const numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);
let announcer = null;

// Characters as the server counts them (code points: an emoji is one, not two).
function length(value) {
  return Array.from(value).length;
}

function announce(text) {
  if (!announcer) {
    announcer = document.createElement("p");
    announcer.className = "visually-hidden";
    announcer.setAttribute("aria-live", "polite");
    announcer.id = "count-announcer";
    document.body.append(announcer);
  }
  announcer.textContent = text;
}

function zoneOf(n, limit) {
  if (n > limit) return "over";
  return n >= limit * NEAR ? "near" : "under";
}

function counter(field) {
  if (field.countShown) return field.countShown;
  const shown = document.createElement("p");
  shown.className = "char-count";
  field.insertAdjacentElement("afterend", shown);
  field.countShown = shown;
  return shown;
}

// Shows the field's count; `typed`: announce a step into "near" or "over".
export function count(field, typed = false) {
  const limit = Number(field.dataset.limit);
  const n = length(field.value);
  const shown = counter(field);
  const zone = zoneOf(n, limit);
  shown.textContent = say("charCount", { n, count: numbers.format(n), limit: numbers.format(limit) });
  shown.dataset.zone = zone;
  if (typed && zone !== field.dataset.countZone) {
    if (zone === "over") announce(say("charsOver", { n: n - limit, count: numbers.format(n - limit) }));
    else if (zone === "near") announce(say("charsLeft", { n: limit - n, count: numbers.format(limit - n) }));
  }
  field.dataset.countZone = zone;
}

// Every field with data-limit below `root` now, and any that is typed in or focused later
// (edit forms cloned for updates that arrive live, forms filled from the server).
export function counters(root) {
  root.querySelectorAll("[data-limit]").forEach((field) => count(field));
  document.addEventListener("input", (event) => {
    if (event.target.dataset && event.target.dataset.limit) count(event.target, true);
  });
  document.addEventListener("focusin", (event) => {
    if (event.target.dataset && event.target.dataset.limit) count(event.target);
  });
  document.addEventListener("reset", (event) => {
    setTimeout(() => event.target.querySelectorAll("[data-limit]").forEach((field) => count(field)), 0);
  }, true);
}
