// Polls inside a story's updates (templates/_poll.html). Without script the vote form
// posts and the server answers with the poll's page; with it, the vote goes by fetch and
// the results appear in place. Results show once this browser has voted (its signed
// cookie names the polls, and the choice, it voted in) or the poll has closed, and stay
// current from the `poll` events of the story's stream (live.js hands them to applyPoll):
// counted events, a few a second at most, each with the totals and their HTML.
import { onApplied } from "./signals.js";
import { say } from "./text.js";

const COOKIE = "liveblog_polls";
const newest = new Map(); // poll id → the newest counts seen: a `poll` event or a vote's answer

// poll id → choice id, from the cookie's signed value ("12_3-15_1.<time>.<signature>").
function votes() {
  const found = new Map();
  const entry = document.cookie.split("; ").find((c) => c.startsWith(COOKIE + "="));
  if (!entry) return found;
  const value = decodeURIComponent(entry.slice(COOKIE.length + 1)).replace(/^"|"$/g, "").split(".")[0];
  for (const pair of value.split("-")) {
    const [poll, choice] = pair.split("_");
    if (poll && choice) found.set(poll, choice);
  }
  return found;
}

// Counts only grow, and a closed poll's are final: the bigger total is the newer.
function keep(data) {
  const id = String(data.id);
  const had = newest.get(id);
  if (!had || (!had.closed && (data.closed || data.total >= had.total))) newest.set(id, data);
}

function show(section, mine) {
  const data = newest.get(section.dataset.poll);
  const results = section.querySelector("[data-poll-results]");
  const form = section.querySelector(".poll-form");
  if (data && results.dataset.total !== String(data.total) + data.closed) {
    results.innerHTML = data.html; // rendered by the server (templates/_poll_results.html), escaped there
    results.dataset.total = String(data.total) + data.closed;
  }
  const closed = (data && data.closed) || section.dataset.closed === "yes";
  if (closed) {
    section.dataset.closed = "yes";
    section.classList.add("closed");
    if (form) form.remove();
  }
  if (closed || mine) {
    if (form && form.isConnected) form.hidden = true;
    results.hidden = false;
  }
  if (mine) {
    const chosen = results.querySelector(`[data-choice="${CSS.escape(mine)}"]`);
    if (chosen) chosen.classList.add("voted");
  }
}

function showAll() {
  const mine = votes();
  document.querySelectorAll("section.poll[data-poll]").forEach((section) => show(section, mine.get(section.dataset.poll)));
}

// A `poll` event from the story's stream.
export function applyPoll(data) {
  keep(data);
  const section = document.getElementById("poll-" + data.id);
  if (section) show(section, votes().get(String(data.id)));
}

async function send(form) {
  const section = form.closest("section.poll");
  const error = section.querySelector(".poll-error");
  const button = form.querySelector("button[type=submit]");
  error.hidden = true;
  button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      headers: { Accept: "application/json" },
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
    });
    if (response.ok) {
      keep(await response.json());
    } else {
      error.textContent = say(response.status === 409 ? "pollRefusedClosed" : response.status === 429 ? "pollTooMany" : "pollFailed");
      error.hidden = false;
    }
  } catch {
    error.textContent = say("pollFailed");
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
  show(section, votes().get(section.dataset.poll));
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.matches("section.poll .poll-form") || !window.fetch) return;
  event.preventDefault();
  send(form);
});

showAll();
// An update replaced by the stream (an edit) brings its poll as it was rendered: show the newest again.
onApplied(showAll);
