// Reader tools kept in this browser only: "new since your last visit", and following a
// story's key events by Web Push.
(function () {
  "use strict";

  var story = document.getElementById("story");
  if (!story) return;
  var slug = story.dataset.slug;

  // -- Since your last visit -------------------------------------------------
  // The newest update this browser has shown (time, then id), kept in localStorage:
  // on the next visit, anything newer is marked. Nothing is stored on the server.
  var SEEN = "liveblog:seen:" + slug;

  function position(el) {
    return { created: el.dataset.created || "", id: Number(el.dataset.id) || 0 };
  }

  function after(a, b) {
    return a.created !== b.created ? a.created > b.created : a.id > b.id;
  }

  function newestShown() {
    var newest = null;
    document.querySelectorAll("#updates article.update").forEach(function (el) {
      var p = position(el);
      if (!newest || after(p, newest)) newest = p;
    });
    return newest;
  }

  function readSeen() {
    try { return JSON.parse(localStorage.getItem(SEEN)); } catch (e) { return null; }
  }

  function remember() {
    var newest = newestShown();
    var seen = readSeen();
    if (newest && (!seen || after(newest, seen))) {
      try { localStorage.setItem(SEEN, JSON.stringify(newest)); } catch (e) { /* private mode */ }
    }
  }

  function markUnseen() {
    var seen = readSeen();
    if (!seen) return;
    var fresh = 0;
    document.querySelectorAll("#updates article.update").forEach(function (el) {
      if (!after(position(el), seen)) return;
      el.classList.add("unseen");
      var badge = document.createElement("span");
      badge.className = "badge unseen-badge";
      badge.textContent = "New since your last visit";
      el.querySelector("header").appendChild(badge);
      fresh += 1;
    });
    if (fresh) {
      var note = document.createElement("p");
      note.id = "since-visit";
      note.className = "since-visit";
      note.textContent = fresh + (fresh === 1 ? " update" : " updates") + " since your last visit";
      document.getElementById("updates").before(note);
    }
  }

  // Only the full story shows "new" marks; a search or key-events view is a partial list.
  if (!story.dataset.filter) {
    markUnseen();
    remember();
    document.addEventListener("liveblog:event", remember);  // read while the page is open
  }

  // -- Follow by Web Push ------------------------------------------------------
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || story.dataset.status !== "live") return;
  var FOLLOWING = "liveblog:push:" + slug;
  var tools = document.getElementById("reader-tools");
  var button = document.createElement("button");
  button.type = "button";
  button.id = "follow-push";
  tools.appendChild(button);

  function label() {
    button.textContent = localStorage.getItem(FOLLOWING) ? "Stop notifications" : "Notify me of key events";
  }
  label();

  function applicationServerKey(base64url) {
    var raw = atob(base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }

  function send(method, body) {
    return fetch("/stories/" + encodeURIComponent(slug) + "/subscriptions", {
      method: method,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); });
  }

  function follow() {
    return Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") throw new Error("Notifications are blocked for this site");
      return Promise.all([
        navigator.serviceWorker.register("/static/push-sw.js").then(function () { return navigator.serviceWorker.ready; }),
        fetch("/push/key").then(function (r) { return r.json(); })
      ]);
    }).then(function (both) {
      var registration = both[0];
      return registration.pushManager.getSubscription().then(function (existing) {
        return existing || registration.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: applicationServerKey(both[1].publicKey)
        });
      });
    }).then(function (subscription) {
      return send("POST", subscription.toJSON()).then(function () {
        localStorage.setItem(FOLLOWING, subscription.endpoint);
      });
    });
  }

  function unfollow() {
    // The browser's subscription may serve other stories too: only this story lets it go.
    return send("DELETE", { endpoint: localStorage.getItem(FOLLOWING) }).then(function () {
      localStorage.removeItem(FOLLOWING);
    });
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    (localStorage.getItem(FOLLOWING) ? unfollow() : follow())
      .catch(function (error) { button.title = String(error.message || error); })
      .then(function () { button.disabled = false; label(); });
  });
})();
