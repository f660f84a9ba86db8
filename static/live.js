// Liveblog's reader client: shows times in the reader's zone, and keeps the story page
// current from its event stream, resuming from the event the page was rendered at.
(function () {
  "use strict";

  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      el.textContent = when.toLocaleString(undefined, {
        day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"
      });
      el.title = when.toString();
    });
  }
  localTimes(document);

  var story = document.getElementById("story");
  // Search results are a fixed list; the key-events view stays live, with key events only.
  if (!story || !window.EventSource || story.dataset.filter === "search") return;
  var keyOnly = story.dataset.filter === "key";
  var list = document.getElementById("updates");
  var keyList = document.getElementById("key-events");
  var lastId = story.dataset.lastEventId;
  var closed = story.dataset.status === "closed";
  var source = null;
  var retry = 1000;

  function fromHTML(html) {
    var t = document.createElement("template");
    t.innerHTML = html.trim();
    return t.content.firstElementChild;
  }

  function newer(a, b) {  // is article a newer than b?
    if (a.dataset.created !== b.dataset.created) return a.dataset.created > b.dataset.created;
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

  function keyEvent(data) {
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
    if (old) old.replaceWith(el);
    if (data.pinned || !old || old.classList.contains("pinned")) place(el);
    localTimes(el);
    keyEvent(data);
    var empty = document.getElementById("no-updates");
    if (empty) empty.remove();
    seen(e);
  }

  function onDelete(e) {
    var data = JSON.parse(e.data);
    var old = document.getElementById("update-" + data.id);
    if (old) old.remove();
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
})();
