// Reader tools kept in this browser only: "new since your last visit", and following a
// story's key events by Web Push.
import { newer, position } from "./ordering.js";
import { onApplied, onStatus } from "./signals.js";
import { say } from "./text.js";

const story = document.getElementById("story");
if (story) {
  // Only the full story shows "new" marks; a search or key-events view is a partial list.
  if (!story.dataset.filter) sinceLastVisit(story.dataset.slug);
  if ("serviceWorker" in navigator && "PushManager" in window && story.dataset.status === "live") {
    followByPush(story.dataset.slug);
  }
}

// The newest update this browser has shown (its position: time, then id), kept in
// localStorage: on the next visit, anything newer is marked. Nothing is stored on the server.
function sinceLastVisit(slug) {
  const SEEN = "liveblog:seen:" + slug;
  const shown = () => Array.from(document.querySelectorAll("#updates article.update"));

  function newestShown() {
    return shown().map(position).reduce((newest, p) => (!newest || newer(p, newest) ? p : newest), null);
  }

  function readSeen() {
    try { return JSON.parse(localStorage.getItem(SEEN)); } catch (e) { return null; }
  }

  function remember() {
    const newest = newestShown();
    const seen = readSeen();
    if (newest && (!seen || newer(newest, seen))) {
      try { localStorage.setItem(SEEN, JSON.stringify(newest)); } catch (e) { /* private mode */ }
    }
  }

  function markUnseen() {
    const seen = readSeen();
    if (!seen) return;
    let fresh = 0;
    shown().forEach((el) => {
      if (!newer(position(el), seen)) return;
      el.classList.add("unseen");
      const badge = document.createElement("span");
      badge.className = "badge unseen-badge";
      badge.textContent = say("newSinceVisit");
      el.querySelector("header").appendChild(badge);
      fresh += 1;
    });
    if (fresh) {
      const note = document.createElement("p");
      note.id = "since-visit";
      note.className = "since-visit";
      note.textContent = say("sinceVisit", { n: fresh });
      document.getElementById("updates").before(note);
    }
  }

  markUnseen();
  remember();
  onApplied(remember);  // read while the page is open
}

// Web Push of the story's key events (and its close), through static/push-sw.js.
function followByPush(slug) {
  const FOLLOWING = "liveblog:push:" + slug;
  const button = document.createElement("button");
  button.type = "button";
  button.id = "follow-push";
  const tools = document.getElementById("reader-tools");
  tools.appendChild(button);
  // A closed story sends no more key events: the control goes, as a reload would show.
  onStatus((status) => {
    if (status === "closed") {
      button.remove();
      blocked.remove();
    } else if (!button.isConnected) {
      tools.appendChild(button);
      label();
    }
  });

  // Blocked in this browser: said beside the control, in words, not only in a tooltip.
  const blocked = document.createElement("span");
  blocked.id = "push-blocked";
  blocked.className = "push-blocked";
  blocked.textContent = say("pushBlocked");
  function showBlocked() {
    if (window.Notification && Notification.permission === "denied") button.after(blocked);
    else blocked.remove();
  }

  function label() {
    button.textContent = localStorage.getItem(FOLLOWING) ? say("unfollowPush") : say("followPush");
    if (button.isConnected) showBlocked();
  }
  label();
  if (navigator.permissions) {
    navigator.permissions.query({ name: "notifications" })
      .then((status) => { status.addEventListener("change", label); }, () => {});
  }

  function applicationServerKey(base64url) {
    const raw = atob(base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  function send(method, body) {
    return fetch("/stories/" + encodeURIComponent(slug) + "/subscriptions", {
      method,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).then((r) => { if (!r.ok) throw new Error("HTTP " + r.status); });
  }

  function subscribe() {
    return Notification.requestPermission().then((permission) => {
      if (permission !== "granted") throw new Error(say("pushBlocked"));
      return Promise.all([
        navigator.serviceWorker.register("/static/push-sw.js").then(() => navigator.serviceWorker.ready),
        fetch("/push/key").then((r) => r.json()),
      ]);
    }).then(([registration, key]) => registration.pushManager.getSubscription().then((existing) =>
      existing || registration.pushManager.subscribe({
        userVisibleOnly: true, applicationServerKey: applicationServerKey(key.publicKey),
      })
    )).then((subscription) => send("POST", subscription.toJSON()).then(() => {
      localStorage.setItem(FOLLOWING, subscription.endpoint);
    }));
  }

  function unsubscribe() {
    // The browser's subscription may serve other stories too: only this story lets it go.
    return send("DELETE", { endpoint: localStorage.getItem(FOLLOWING) }).then(() => {
      localStorage.removeItem(FOLLOWING);
    });
  }

  button.addEventListener("click", () => {
    button.disabled = true;
    (localStorage.getItem(FOLLOWING) ? unsubscribe() : subscribe())
      .catch((error) => { button.title = String(error.message || error); })
      .then(() => { button.disabled = false; label(); });
  });
}
