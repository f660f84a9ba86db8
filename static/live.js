// Liveblog's reader client. It shows times in the reader's zone with "3 min ago" beside
// them, keeps the story page (and its embed) current from the event stream, resuming
// from the event the page was rendered at, and keeps the reader's place: new updates
// never push what they are reading away, permalinks reach updates on older pages.
(function () {
  "use strict";

  function clockText(when) {
    return when.toLocaleString(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  }

  function agoText(ms) {
    var minutes = Math.round((Date.now() - ms) / 60000);
    if (minutes < 1) return "just now";
    if (minutes < 60) return minutes + " min ago";
    if (minutes < 1440) return Math.floor(minutes / 60) + " hr ago";
    var days = Math.floor(minutes / 1440);
    return days + (days === 1 ? " day ago" : " days ago");
  }

  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      el.textContent = clockText(when);
      el.title = when.toString();
    });
  }

  // Adds what only works with script: the relative time and the copy-link control.
  function decorate(article) {
    var link = article.querySelector("a.permalink");
    var time = link && link.querySelector("time");
    if (!time || article.querySelector(".ago")) return;
    var ago = document.createElement("span");
    ago.className = "ago";
    ago.dataset.at = new Date(time.getAttribute("datetime")).getTime();
    ago.textContent = agoText(Number(ago.dataset.at));
    link.after(ago);
    var copy = document.createElement("button");
    copy.type = "button";
    copy.className = "copy-link";
    copy.textContent = "Copy link";
    article.querySelector("header").appendChild(copy);
  }

  function refreshAgo() {
    document.querySelectorAll(".ago[data-at]").forEach(function (el) {
      var text = agoText(Number(el.dataset.at));
      if (el.textContent !== text) el.textContent = text;
    });
  }

  localTimes(document);
  document.querySelectorAll("article.update").forEach(decorate);
  setInterval(refreshAgo, 30000);

  var story = document.getElementById("story");
  if (!story) return;
  var keyOnly = story.dataset.filter === "key";

  // Rich-embed cards need consent.js; most pages have none, so it loads only once one shows.
  function needConsent() {
    if (document.getElementById("consent-js") || !document.querySelector(".embed-card")) return;
    var script = document.createElement("script");
    script.id = "consent-js";
    script.src = "/static/consent.js";
    document.head.appendChild(script);
  }
  needConsent();
  var list = document.getElementById("updates");
  var keyList = document.getElementById("key-events");
  var embedded = story.dataset.embed === "yes";
  var keep = Number(story.dataset.keep) || 0;

  // -- copy link ------------------------------------------------------------

  function copied(button, text) {
    button.textContent = text;
    setTimeout(function () { button.textContent = "Copy link"; }, 2000);
  }

  function copyLink(button) {
    var url = button.closest("article").querySelector("a.permalink").href;
    // The clipboard API needs a secure context; elsewhere the reader copies it from a prompt.
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(function () { copied(button, "Copied"); },
        function () { window.prompt("Copy this link:", url); });
    } else {
      window.prompt("Copy this link:", url);
    }
  }

  list.addEventListener("click", function (e) {
    var button = e.target.closest(".copy-link");
    if (button) copyLink(button);
  });

  // -- older pages and permalinks -------------------------------------------

  var loading = null;

  // Appends the next page of older updates in place; resolves false when there is none.
  function loadOlder() {
    var link = document.getElementById("older-link");
    if (!link) return Promise.resolve(false);
    if (loading) return loading;
    link.setAttribute("aria-busy", "true");
    loading = fetch(link.href, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      doc.querySelectorAll("#updates article.update").forEach(function (el) {
        if (document.getElementById(el.id)) return;
        el = document.importNode(el, true);
        localTimes(el);
        decorate(el);
        list.appendChild(el);
      });
      var next = doc.getElementById("older-link");
      if (next) link.href = next.href; else link.parentElement.remove();
      return true;
    }).finally(function () {
      link.removeAttribute("aria-busy");
      loading = null;
    });
    return loading;
  }

  function show(el) {
    el.classList.add("targeted");
    el.scrollIntoView({ block: "start" });
    el.setAttribute("tabindex", "-1");
    el.focus({ preventScroll: true });
  }

  // Opens the update the address points at, loading older pages until it is found.
  function reachHash() {
    var match = /^#update-(\d+)$/.exec(location.hash);
    if (!match) return;
    document.querySelectorAll(".targeted").forEach(function (el) { el.classList.remove("targeted"); });
    (function step(pages) {
      var el = document.getElementById("update-" + match[1]);
      if (el) return show(el);
      if (pages > 200) return;
      loadOlder().then(function (more) { if (more) step(pages + 1); }, function () {});
    })(0);
  }

  if (!embedded) {
    var older = document.getElementById("older-link");
    if (older) older.addEventListener("click", function (e) {
      e.preventDefault();
      loadOlder().catch(function () { location.href = older.href; });
    });
    window.addEventListener("hashchange", reachHash);
    reachHash();
  }

  // -- the reader's place -----------------------------------------------------

  var fresh = 0;
  var button = null;

  // True when the top of the updates is scrolled out of sight: a new update would land
  // where the reader cannot see it.
  function awayFromTop() {
    return !embedded && list.getBoundingClientRect().top < 0;
  }

  // Runs `change` without moving what the reader is looking at. Browsers with scroll
  // anchoring already hold it still (the measured shift is then 0); others get scrolled.
  function holdingPlace(change) {
    if (!awayFromTop()) { change(); return false; }
    var anchor = null;
    var articles = list.querySelectorAll("article.update");
    for (var i = 0; i < articles.length && !anchor; i++) {
      if (articles[i].getBoundingClientRect().bottom > 0) anchor = articles[i];
    }
    var top = anchor && anchor.getBoundingClientRect().top;
    change();
    if (anchor && anchor.isConnected) {
      var shift = anchor.getBoundingClientRect().top - top;
      if (shift) window.scrollBy(0, shift);
    }
    return true;
  }

  function announceFresh() {
    if (!button) {
      button = document.createElement("button");
      button.type = "button";
      button.id = "new-updates";
      button.className = "new-updates";
      button.addEventListener("click", function () {
        clearFresh();
        var smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
        window.scrollTo({ top: window.scrollY + list.getBoundingClientRect().top - 12, behavior: smooth ? "smooth" : "auto" });
      });
      document.body.appendChild(button);
    }
    button.textContent = "↑ " + fresh + (fresh === 1 ? " new update" : " new updates");
    button.hidden = false;
  }

  function clearFresh() {
    fresh = 0;
    if (button) button.hidden = true;
  }

  var scrollQueued = false;
  window.addEventListener("scroll", function () {
    if (scrollQueued || !fresh) return;
    scrollQueued = true;
    requestAnimationFrame(function () {
      scrollQueued = false;
      if (!awayFromTop()) clearFresh();
    });
  }, { passive: true });

  // -- the live stream --------------------------------------------------------

  // Search results are a fixed list; the key-events view stays live, with key events only.
  if (!window.EventSource || story.dataset.filter === "search") return;
  var lastId = story.dataset.lastEventId;
  var closed = story.dataset.status === "closed";
  var source = null;
  var retry = 1000;

  function fromHTML(html) {
    var t = document.createElement("template");
    t.innerHTML = html.trim();
    return t.content.firstElementChild;
  }

  function created(article) {
    return article.querySelector("header time").getAttribute("datetime");
  }

  function newer(a, b) {  // is article a newer than b?
    var ta = created(a), tb = created(b);
    if (ta !== tb) return ta > tb;
    return Number(a.dataset.id) > Number(b.dataset.id);
  }

  function place(el) {
    if (el.classList.contains("pinned")) {
      list.prepend(el);
      return;
    }
    var others = list.querySelectorAll("article.update:not(.pinned)");
    for (var i = 0; i < others.length; i++) {
      if (others[i] !== el && newer(el, others[i])) {
        list.insertBefore(el, others[i]);
        return;
      }
    }
    list.appendChild(el);
  }

  // The embed shows only the newest few; older ones leave as new ones come.
  function trim() {
    if (!keep) return;
    var rest = list.querySelectorAll("article.update:not(.pinned)");
    for (var i = keep; i < rest.length; i++) rest[i].remove();
  }

  function keyEvent(data) {
    if (!keyList) return;
    var item = keyList.querySelector('li[data-id="' + data.id + '"]');
    if (!data.key_event) {
      if (item) item.remove();
    } else {
      if (!item) {
        item = document.createElement("li");
        item.dataset.id = data.id;
        item.appendChild(document.createElement("a")).href = "#update-" + data.id;
        keyList.prepend(item);
      }
      var text = document.createElement("div");
      text.innerHTML = data.body_html;
      item.firstChild.textContent = data.headline || text.textContent.trim().slice(0, 90);
    }
    keyList.parentElement.hidden = !keyList.children.length;
  }

  function onUpdate(e) {
    var data = JSON.parse(e.data);
    if (keyOnly && !data.key_event) return onDelete(e);
    var el = fromHTML(data.html);
    var old = document.getElementById("update-" + data.id);
    localTimes(el);
    decorate(el);
    var away = holdingPlace(function () {
      if (old) old.replaceWith(el);
      if (data.pinned || !old || old.classList.contains("pinned")) place(el);
      trim();
    });
    if (!old && away && el.isConnected) {
      fresh += 1;
      announceFresh();
    }
    keyEvent(data);
    var empty = document.getElementById("no-updates");
    if (empty) empty.remove();
    seen(e);
  }

  function onDelete(e) {
    var data = JSON.parse(e.data);
    var old = document.getElementById("update-" + data.id);
    if (old) holdingPlace(function () { old.remove(); });
    data.key_event = false;
    keyEvent(data);
    seen(e);
  }

  function onStory(e) {
    var data = JSON.parse(e.data);
    document.getElementById("story-title").textContent = data.title;
    document.getElementById("story-summary").textContent = data.summary;
    document.title = data.title + " · Liveblog";
    closed = data.status === "closed";
    story.dataset.status = data.status;
    var banner = document.getElementById("live-banner");
    if (closed && banner) banner.remove();
    if (!closed && !banner) {
      banner = document.createElement("p");
      banner.className = "banner";
      banner.id = "live-banner";
      banner.setAttribute("role", "status");
      banner.innerHTML = '<span class="live-dot" aria-hidden="true"></span><strong>Developing story</strong> — this page updates itself as news comes in.';
      story.prepend(banner);
      var note = document.getElementById("closed-note");
      if (note) note.remove();
    }
    seen(e);
  }

  function seen(e) {
    if (e.lastEventId) lastId = e.lastEventId;
    retry = 1000;
    story.dataset.lastEventId = lastId;
    needConsent();
    document.dispatchEvent(new CustomEvent("liveblog:event", { detail: { type: e.type, id: lastId } }));
  }

  function connect() {
    if (source) source.close();
    source = new EventSource(story.dataset.stream + "?last_event_id=" + encodeURIComponent(lastId));
    source.addEventListener("update", onUpdate);
    source.addEventListener("edit", onUpdate);
    source.addEventListener("delete", onDelete);
    source.addEventListener("story", onStory);
    source.addEventListener("open", function () { story.dataset.connected = "yes"; });
    source.addEventListener("error", function () {
      story.dataset.connected = "no";
      // EventSource retries by itself after a dropped connection; after an HTTP error it
      // gives up, so retry here with the id we reached, unless the story has closed (204).
      if (source.readyState === EventSource.CLOSED && !closed) {
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 30000);
      }
    });
  }

  // A phone that slept may hold a dead connection: on waking, resume from where we were.
  function wake() {
    if (!closed && document.visibilityState === "visible" && (!source || source.readyState === EventSource.CLOSED)) connect();
  }
  document.addEventListener("visibilitychange", wake);
  window.addEventListener("online", wake);

  if (!closed) connect();

  // -- inside an iframe: tell the host page (static/embed.js) how tall we are -------

  if (embedded && window.parent !== window && window.ResizeObserver) {
    var reported = 0;
    new ResizeObserver(function () {
      var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (height === reported) return;
      reported = height;
      // Only a height goes out, so any host may read it; embed.js checks our origin.
      window.parent.postMessage({ liveblog: "height", slug: story.dataset.slug, height: height }, "*");
    }).observe(document.documentElement);
  }
})();
