// The editors' desk, better with script: forms are sent without a reload (the server
// answers JSON when asked for it), the list follows the story's own event stream (the
// one readers use), the post form keeps its draft in this browser until the server has
// stored the update, and the preview comes from the server's Markdown pipeline.
// Without this file every form still works: it posts and the server redirects back.
// Drafts and scheduled updates follow the desk's own stream (the queue's log, read with
// the session cookie), and times to publish at are typed in this browser's zone.
(function () {
  "use strict";

  var desk = document.getElementById("desk");

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

  // -- times in this browser's zone -------------------------------------------
  //
  // A datetime-local field sends the wall-clock time as typed, without a zone. Beside it a
  // hidden `tz_offset` carries this zone's offset on that date (minutes east of UTC; it
  // differs across a change to summer time), so the server gets the instant meant.
  // Without script the field is UTC, as its hint says.

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function wallClock(when) {
    return when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" + pad(when.getDate()) +
      "T" + pad(when.getHours()) + ":" + pad(when.getMinutes()) + ":" + pad(when.getSeconds());
  }

  function zoneName() {
    var minutes = -new Date().getTimezoneOffset();
    var name = "";
    try { name = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { name = ""; }
    var sign = minutes < 0 ? "-" : "+";
    minutes = Math.abs(minutes);
    var offset = "UTC" + sign + pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60);
    return "your time, " + (name ? name + ", " : "") + offset;
  }

  function zoneFields(root) {
    root.querySelectorAll("input[data-zone]").forEach(function (input) {
      var hint = input.form && input.form.querySelector("[data-zone-hint]");
      if (hint) hint.textContent = zoneName();
      var utc = input.getAttribute("data-utc");
      if (utc && !isNaN(new Date(utc))) input.value = input.defaultValue = wallClock(new Date(utc));
      input.removeAttribute("data-utc");
    });
  }
  zoneFields(document);

  function fillOffsets(form) {
    var input = form.querySelector("input[data-zone]");
    if (!input || !form.elements.tz_offset) return;
    var when = new Date(input.value);  // a date-time without a zone is read as local time
    form.elements.tz_offset.value = isNaN(when) ? "" : String(-when.getTimezoneOffset());
  }

  // -- sending forms ----------------------------------------------------------

  function errorSlot(form, key) {
    return form.querySelector('[data-error-for="' + key + '"]') ||
      form.querySelector('[data-error-for="form"]') ||
      document.getElementById("desk-alert");
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-error-for]").forEach(function (el) {
      el.textContent = "";
      el.hidden = true;
    });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    var alert = document.getElementById("desk-alert");
    if (alert) alert.hidden = true;
  }

  function showErrors(form, errors) {
    Object.keys(errors).forEach(function (key) {
      var slot = errorSlot(form, key);
      if (!slot) return;
      slot.textContent = slot.hidden || !slot.textContent ? errors[key] : slot.textContent + " " + errors[key];
      slot.hidden = false;
      var input = form.elements[key];
      if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
    });
  }

  // Sends the form as it stands; resolves to the server's JSON, or null after showing
  // why it failed. The form keeps everything typed in it either way.
  function send(form) {
    clearErrors(form);
    fillOffsets(form);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    form.setAttribute("aria-busy", "true");
    var headers = { "Accept": "application/json" };
    if (desk) headers["X-CSRF-Token"] = desk.dataset.csrf;
    return fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), headers: headers, credentials: "same-origin" })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          if (response.ok) return data;
          var errors = data && data.errors ? data.errors : {};
          if (!Object.keys(errors).length) errors = { form: "Not saved (the server answered " + response.status + ")." };
          showErrors(form, errors);
          return null;
        });
      }, function () {
        showErrors(form, { form: "Not sent: the connection failed. Everything you typed is still here; try again." });
        return null;
      })
      .finally(function () {
        buttons.forEach(function (b) { b.disabled = false; });
        form.removeAttribute("aria-busy");
      });
  }

  var onSent = {
    "story-new": function (form, data) { window.location.assign(data.desk); },
    "post": function (form, data) {
      forgetDraft(data.status === "draft" ? "Sent for approval" : data.status === "scheduled" ? "Scheduled" : "Posted");
      form.reset();
      showPreview("");
      applyAnswer(data, true);
      form.elements.body.focus();
    },
    "edit": function (form, data) {
      var item = form.closest(".desk-item");
      markSaved(form);
      form.closest("details").open = false;
      note(item, "");
      applyAnswer(data, true);
    },
    "queue": function (form, data) {
      var details = form.closest("details");
      if (details) { markSaved(form); details.open = false; }
      applyAnswer(data, true);
    },
    "pin": function (form, data) { applyUpdate(data); },
    "delete": function (form, data) { removeItem(data.id, true); },
    "story": function (form, data) { markSaved(form); applyStory(data); },
    "status": function (form, data) {
      var details = form.closest("details");
      if (details) details.open = false;
      applyStory(data);
    }
  };

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var kind = form.dataset && form.dataset.deskForm;
    if (!kind || !onSent[kind]) return;
    event.preventDefault();
    var item = form.closest(".desk-item");
    if (item) item.dataset.saving = "yes";
    send(form).then(function (data) {
      if (item) delete item.dataset.saving;
      if (data) onSent[kind](form, data);
    });
  });

  function markSaved(form) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.type === "checkbox") el.defaultChecked = el.checked;
      else if (el.type !== "hidden" && "defaultValue" in el) el.defaultValue = el.value;
    });
  }

  function dirty(form) {
    return Array.prototype.some.call(form.elements, function (el) {
      if (el.type === "checkbox") return el.checked !== el.defaultChecked;
      return el.type !== "hidden" && "defaultValue" in el && el.value !== el.defaultValue;
    });
  }

  if (!desk) return;  // the stories page needs only the forms above

  var slug = desk.dataset.slug;
  var list = document.getElementById("desk-updates");
  var template = document.getElementById("desk-item-template");
  var postForm = document.getElementById("post-form");

  // -- the list of updates ----------------------------------------------------

  function note(item, text) {
    var el = item.querySelector(".desk-note");
    el.textContent = text;
    el.hidden = !text;
  }

  function newItem(id) {
    var holder = document.createElement("template");
    holder.innerHTML = template.innerHTML.replace(/__ID__/g, String(Number(id))).trim();
    return holder.content.firstElementChild;
  }

  function newer(a, b) {  // is item a newer than b?
    if (a.dataset.created !== b.dataset.created) return a.dataset.created > b.dataset.created;
    return Number(a.dataset.id) > Number(b.dataset.id);
  }

  function place(item) {
    if (item.dataset.pinned === "yes") {
      list.prepend(item);
      return;
    }
    var others = list.querySelectorAll('.desk-item[data-pinned="no"]');
    for (var i = 0; i < others.length; i++) {
      if (others[i] !== item && newer(item, others[i])) {
        list.insertBefore(item, others[i]);
        return;
      }
    }
    list.appendChild(item);
  }

  function setPinned(item, pinned) {
    item.dataset.pinned = pinned ? "yes" : "no";
    item.classList.toggle("is-pinned", pinned);
    var form = item.querySelector('form[data-desk-form="pin"]');
    if (!form) return;  // a contributor's desk has no pin control
    form.elements.pinned.value = pinned ? "0" : "1";
    form.querySelector("button").textContent = pinned ? "Unpin" : "Pin";
  }

  function applyUpdate(data) {
    var item = document.getElementById("desk-update-" + data.id);
    var fresh = !item;
    if (fresh) item = newItem(data.id);
    var wasPinned = item.dataset.pinned === "yes";
    // `html` is the reader partial, rendered and sanitized on the server once per event.
    item.querySelector(".desk-view").innerHTML = data.html;
    item.dataset.created = data.created_at;
    setPinned(item, data.pinned);
    var edit = item.querySelector("details.desk-edit");
    if (!fresh && edit && edit.open && dirty(edit.querySelector("form"))) {
      if (!item.dataset.saving) {
        note(item, "Someone else changed this update while you were editing it. Saving replaces their version with yours.");
      }
    } else if (!fresh) {
      item.dataset.stale = "yes";  // its edit form refills from the server when opened
    }
    if (fresh || data.pinned || wasPinned) place(item);
    localTimes(item);
    document.getElementById("desk-empty").hidden = true;
  }

  function removeItem(id, mine) {
    var item = document.getElementById("desk-update-" + id);
    if (!item) return;
    var details = item.querySelector("details.desk-edit");
    var form = details && details.querySelector("form");
    if (!mine && details && details.open && dirty(form)) {
      // Never throw away what an editor is typing: keep the form, say what happened.
      item.querySelector(".desk-view").innerHTML = "";
      item.querySelectorAll('form[data-desk-form="pin"], details.desk-delete').forEach(function (el) { el.remove(); });
      form.querySelector('button[type="submit"]').disabled = true;
      note(item, "Another editor deleted this update. Your unsaved text is still below: copy it before you leave.");
      return;
    }
    item.remove();
    document.getElementById("desk-empty").hidden = !!list.querySelector(".desk-item");
  }

  // An update that arrived live has no Markdown on the page; fetch it when its edit opens.
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.classList || !details.classList.contains("desk-edit") || !details.open) return;
    var item = details.closest(".desk-item");
    var form = details.querySelector("form");
    if (item.dataset.stale !== "yes" || dirty(form)) return;
    fetch("/admin/stories/" + encodeURIComponent(slug) + "/updates/" + item.dataset.id, {
      headers: { "Accept": "application/json" }, credentials: "same-origin"
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (update) {
      if (!update || dirty(form)) return;
      form.elements.headline.value = update.headline;
      form.elements.body.value = update.body;
      form.elements.key_event.checked = update.key_event;
      markSaved(form);
      delete item.dataset.stale;
    });
  }, true);

  // -- the queue: drafts and scheduled updates -------------------------------

  var queueLists = { draft: document.getElementById("drafts"), scheduled: document.getElementById("scheduled") };

  function queueCounts() {
    Object.keys(queueLists).forEach(function (status) {
      var n = queueLists[status].querySelectorAll(".queue-item").length;
      document.getElementById(status + "s-count").textContent = n;
      document.getElementById(status + "s-empty").hidden = n > 0;
    });
  }

  function editFields(item) {
    var details = item.querySelector("details.desk-edit");
    return details ? details.querySelector("form") : null;
  }

  function fillEdit(form, data) {
    form.elements.headline.value = data.headline;
    form.elements.body.value = data.body;
    form.elements.key_event.checked = data.key_event;
    markSaved(form);
  }

  function newQueueItem(data) {
    var holder = document.createElement("template");
    var source = document.getElementById(data.status + "-item-template");
    holder.innerHTML = source.innerHTML.replace(/__ID__/g, String(Number(data.id))).trim();
    var item = holder.content.firstElementChild;
    var own = item.querySelector("[data-own]");
    if (own && data.author !== desk.dataset.me) own.remove();  // a contributor edits only their own
    return item;
  }

  function queueOrder(item) {  // drafts oldest first; scheduled in the order they go out
    return (item.dataset.publishAt || item.dataset.created || "") + "#" + String(1e15 + Number(item.dataset.id));
  }

  function placeQueued(item, list) {
    var key = queueOrder(item);
    var others = list.querySelectorAll(".queue-item");
    for (var i = 0; i < others.length; i++) {
      if (others[i] !== item && queueOrder(others[i]) > key) {
        list.insertBefore(item, others[i]);
        return;
      }
    }
    list.appendChild(item);
  }

  // An update leaves the queue (published, rejected, or moving to the other list). What
  // someone is typing in its edit form is never thrown away: the item stays with a note.
  function dropQueued(id, why, mine) {
    var item = document.getElementById("queue-update-" + id);
    if (!item) return;
    var form = editFields(item);
    if (!mine && form && form.closest("details").open && dirty(form)) {
      item.querySelectorAll(".desk-actions > form, details.queue-schedule").forEach(function (el) { el.remove(); });
      if (why === "rejected") form.querySelector('button[type="submit"]').disabled = true;
      note(item, why === "published"
        ? "An editor published this update while you were editing it: saving changes the published update."
        : "An editor rejected this update while you were editing it. Your unsaved text is still below: copy it before you leave.");
      item.dataset.status = why;
      return;
    }
    item.remove();
    queueCounts();
  }

  function applyQueued(data, mine) {
    var list = queueLists[data.status];
    var item = document.getElementById("queue-update-" + data.id);
    var typed = null;
    if (item && item.dataset.status !== data.status) {
      // Drafts and scheduled updates have different controls: build it afresh in its new
      // list, carrying over anything typed in its edit form.
      var old = editFields(item);
      if (old && dirty(old)) typed = { headline: old.elements.headline.value, body: old.elements.body.value, key_event: old.elements.key_event.checked };
      if (list) { item.remove(); item = null; }
    }
    if (!list) { dropQueued(data.id, data.status, mine); return; }
    var fresh = !item;
    if (fresh) item = newQueueItem(data);
    item.dataset.author = data.author;
    item.dataset.created = data.created_at;
    item.querySelector(".desk-view").innerHTML = data.html;  // the reader partial, sanitized on the server
    if (data.publish_at) {
      item.dataset.publishAt = data.publish_at;
      item.querySelector(".queue-time").setAttribute("datetime", data.publish_at);
      var when = item.querySelector("details.queue-schedule input[data-zone]");
      if (when && (fresh || !dirty(when.form))) {
        when.setAttribute("data-utc", data.publish_at);
        zoneFields(item);
      }
    }
    var form = editFields(item);
    if (form && typed) {
      fillEdit(form, data);
      form.elements.headline.value = typed.headline;
      form.elements.body.value = typed.body;
      form.elements.key_event.checked = typed.key_event;
      form.closest("details").open = true;
      note(item, "This update moved to the " + (data.status === "draft" ? "drafts" : "schedule") + " while you were editing it; your text is kept below.");
    } else if (form && form.closest("details").open && dirty(form)) {
      if (!mine && !item.dataset.saving) note(item, "Someone else changed this update while you were editing it. Saving replaces their version with yours.");
    } else if (form) {
      fillEdit(form, data);
    }
    if (fresh || data.publish_at) placeQueued(item, list);
    localTimes(item);
    queueCounts();
  }

  // What the server answered to one of this desk's own forms, or what another desk did.
  function applyAnswer(data, mine) {
    if (data.status) {
      applyQueued(data, mine);
      return;
    }
    dropQueued(data.id, "published", mine);  // a published update has left the queue
    applyUpdate(data);
  }

  var deskLastId = desk.dataset.deskLastEventId;
  var deskSource = null;
  var deskRetry = 1000;

  function connectQueue() {
    if (deskSource) deskSource.close();
    deskSource = new EventSource(desk.dataset.deskStream + "?last_event_id=" + encodeURIComponent(deskLastId));
    ["draft", "scheduled", "published", "rejected"].forEach(function (kind) {
      deskSource.addEventListener(kind, function (event) {
        applyQueued(JSON.parse(event.data), false);
        if (event.lastEventId) deskLastId = event.lastEventId;
        desk.dataset.deskLastEventId = deskLastId;
        deskRetry = 1000;
      });
    });
    deskSource.addEventListener("open", function () { desk.dataset.queueConnected = "yes"; });
    deskSource.addEventListener("error", function () {
      desk.dataset.queueConnected = "no";
      if (deskSource.readyState === EventSource.CLOSED) {  // an HTTP error: retry from the id reached
        setTimeout(connectQueue, deskRetry);
        deskRetry = Math.min(deskRetry * 2, 30000);
      }
    });
  }
  connectQueue();

  // -- the story --------------------------------------------------------------

  function applyStory(data) {
    document.getElementById("desk-title").textContent = data.title;
    document.getElementById("desk-summary").textContent = data.summary;
    document.title = "Desk: " + data.title + " · Liveblog";
    var storyForm = document.getElementById("story-form");
    if (storyForm && !dirty(storyForm)) {
      storyForm.elements.title.value = data.title;
      storyForm.elements.summary.value = data.summary;
      markSaved(storyForm);
    }
    var live = data.status === "live";
    desk.dataset.status = data.status;
    document.getElementById("desk-status-live").hidden = !live;
    document.getElementById("desk-status-closed").hidden = live;
    ["close-control", "reopen-control"].forEach(function (id) {
      var control = document.getElementById(id);  // an editor's only
      if (control) control.hidden = (id === "close-control") !== live;
    });
    document.getElementById("closed-warning").hidden = live;
    if (live && (!source || source.readyState === EventSource.CLOSED)) connect();
    if (!live) connection("story closed: not updating");
  }

  // -- the stream -------------------------------------------------------------

  var lastId = desk.dataset.lastEventId;
  var source = null;
  var retry = 1000;

  function connection(text) {
    document.getElementById("desk-connection").textContent = "· " + text;
    desk.dataset.connected = text === "connected" ? "yes" : "no";
  }

  function seen(event) {
    if (event.lastEventId) lastId = event.lastEventId;
    desk.dataset.lastEventId = lastId;
    retry = 1000;
  }

  function connect() {
    if (source) source.close();
    source = new EventSource(desk.dataset.stream + "?last_event_id=" + encodeURIComponent(lastId));
    function on(type, apply) {
      source.addEventListener(type, function (event) {
        apply(JSON.parse(event.data));
        seen(event);
      });
    }
    on("update", applyUpdate);
    on("edit", applyUpdate);
    on("delete", function (data) { removeItem(data.id, false); });
    on("story", applyStory);
    source.addEventListener("open", function () { connection("connected"); });
    source.addEventListener("error", function () {
      if (desk.dataset.status !== "live") {
        source.close();
        connection("story closed: not updating");
        return;
      }
      connection("reconnecting…");
      // After an HTTP error EventSource gives up by itself; retry from the id reached.
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 30000);
      }
    });
  }
  if (desk.dataset.status === "live") connect();
  else connection("story closed: not updating");

  // The reader count lives in the server's hub; asking every few seconds is plenty for a
  // figure editors glance at, and the answer also tells a closed desk when to reconnect.
  function poll() {
    fetch("/admin/stories/" + encodeURIComponent(slug) + "/readers", {
      headers: { "Accept": "application/json" }, credentials: "same-origin"
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (!data) return;
      document.getElementById("reader-count").textContent = data.readers + " open now";
      var behind = data.last_event_id > Number(lastId);
      if (behind && (!source || source.readyState === EventSource.CLOSED)) connect();
    }).catch(function () {});
  }
  setInterval(poll, Number(desk.dataset.pollSeconds) * 1000);

  // -- the draft and the preview ----------------------------------------------

  var draftKey = "liveblog:draft:" + slug;
  var draftStatus = document.getElementById("draft-status");
  var body = postForm.elements.body;
  var headline = postForm.elements.headline;

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function saveDraft() {
    var store = storage();
    if (!store) return;
    if (!body.value && !headline.value) {
      store.removeItem(draftKey);
      draftStatus.textContent = "";
      return;
    }
    try {
      store.setItem(draftKey, JSON.stringify({ body: body.value, headline: headline.value }));
      draftStatus.textContent = "Draft kept in this browser";
    } catch (e) {
      draftStatus.textContent = "This browser cannot keep a draft";
    }
  }

  function forgetDraft(said) {
    var store = storage();
    if (store) store.removeItem(draftKey);
    draftStatus.textContent = said;
  }

  (function restoreDraft() {
    var store = storage();
    var saved = store && store.getItem(draftKey);
    if (!saved || body.value || headline.value) return;
    try { saved = JSON.parse(saved); } catch (e) { return; }
    body.value = saved.body || "";
    headline.value = saved.headline || "";
    if (body.value || headline.value) draftStatus.textContent = "Draft restored from this browser";
  })();

  var preview = document.getElementById("preview");
  var previewBody = document.getElementById("preview-body");
  var previewTimer = null;
  var previewSeq = 0;
  document.getElementById("preview-button").hidden = true;  // the preview follows the typing

  function showPreview(html) {
    previewBody.innerHTML = html;  // sanitized by the server's own pipeline
    preview.hidden = !html;
  }

  function requestPreview() {
    var seq = ++previewSeq;
    if (!body.value.trim()) {
      showPreview("");
      return;
    }
    var data = new URLSearchParams({ body: body.value, csrf: desk.dataset.csrf });
    fetch("/admin/preview", {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": desk.dataset.csrf }
    }).then(function (r) { return r.json(); }).then(function (answer) {
      if (seq !== previewSeq) return;  // a newer keystroke's preview is on its way
      if (answer.html !== undefined) showPreview(answer.html);
      else showPreview("");
    }).catch(function () {});
  }

  // The post button says what it will do: a time to publish at makes it a schedule.
  var postAt = postForm.elements.publish_at;
  var postButton = document.getElementById("post-submit");
  function postLabel() {
    if (postAt) postButton.textContent = postAt.value ? "Schedule update" : "Post update";
  }
  postForm.addEventListener("input", postLabel);
  postForm.addEventListener("reset", function () { setTimeout(postLabel, 0); });
  postLabel();

  postForm.addEventListener("input", function () {
    saveDraft();
    clearTimeout(previewTimer);
    previewTimer = setTimeout(requestPreview, 250);
  });
  if (body.value.trim()) requestPreview();
})();
