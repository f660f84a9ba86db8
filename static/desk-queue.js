// The queue on the desk: drafts waiting for approval (oldest first) and scheduled
// updates (in the order they go out), each list with its count. An update moves between
// them, or leaves the queue when published or rejected; what someone is typing in its
// edit form is never thrown away.
import { DRAFT, PUBLISHED, REJECTED, SCHEDULED } from "./kinds.js";
import { dirty, editValues, fillEdit, typeEdit } from "./desk-forms.js";
import { editForm, editing, fromTemplate, note } from "./desk-items.js";
import { zoneFields } from "./desk-zone.js";
import { insertBefore } from "./ordering.js";
import { say } from "./text.js";
import { localTimes } from "./times.js";

function queueOrder(item) {
  return (item.dataset.publishAt || item.dataset.created || "") + "#" + String(1e15 + Number(item.dataset.id));
}

function placeQueued(item, list) {
  const key = queueOrder(item);
  insertBefore(list, item, list.querySelectorAll(".queue-item"), (other) => queueOrder(other) > key);
}

export class Queue {
  // `me` is the editor's name: a contributor edits only their own drafts.
  constructor(me) {
    this.me = me;
    this.lists = { [DRAFT]: document.getElementById("drafts"), [SCHEDULED]: document.getElementById("scheduled") };
  }

  // Each list's count and its "nothing here" line (#drafts-count, #scheduled-empty ...).
  counts() {
    Object.values(this.lists).forEach((list) => {
      const n = list.querySelectorAll(".queue-item").length;
      document.getElementById(list.id + "-count").textContent = n;
      document.getElementById(list.id + "-empty").hidden = n > 0;
    });
  }

  newItem(data) {
    const item = fromTemplate(data.status + "-item-template", data.id);
    const own = item.querySelector("[data-own]");
    if (own && (data.author_name || data.author) !== this.me) own.remove();
    return item;
  }

  // An update leaves the queue (published or rejected, `why`); `mine`: this desk did it.
  drop(id, why, mine) {
    const item = document.getElementById("queue-update-" + id);
    if (!item) return;
    const form = editForm(item);
    if (!mine && editing(form)) {
      item.querySelectorAll(".desk-actions > form, details.queue-schedule").forEach((el) => el.remove());
      if (why === REJECTED) form.querySelector('button[type="submit"]').disabled = true;
      note(item, why === PUBLISHED ? say("publishedMeanwhile") : say("rejectedMeanwhile"));
      item.dataset.status = why;
      return;
    }
    item.remove();
    this.counts();
  }

  // A queued update as it now stands (the desk stream's data, or this desk's answer).
  apply(data, mine) {
    const list = this.lists[data.status];
    let item = document.getElementById("queue-update-" + data.id);
    let typed = null;
    if (item && item.dataset.status !== data.status) {
      // Drafts and scheduled updates have different controls: build it afresh in its new
      // list, carrying over anything typed in its edit form.
      const old = editForm(item);
      if (old && dirty(old)) typed = editValues(old);
      if (list) { item.remove(); item = null; }
    }
    if (!list) {
      this.drop(data.id, data.status, mine);
      return;
    }
    const fresh = !item;
    if (fresh) item = this.newItem(data);
    item.dataset.author = data.author_name || data.author;
    item.dataset.created = data.created_at;
    item.querySelector(".desk-view").innerHTML = data.html;  // the reader partial, sanitized on the server
    if (data.publish_at) {
      item.dataset.publishAt = data.publish_at;
      item.querySelector(".queue-time").setAttribute("datetime", data.publish_at);
      const when = item.querySelector("details.queue-schedule input[data-zone]");
      if (when && (fresh || !dirty(when.form))) {
        when.setAttribute("data-utc", data.publish_at);
        zoneFields(item);
      }
    }
    const form = editForm(item);
    if (form && typed) {
      fillEdit(form, data);
      typeEdit(form, typed);
      form.closest("details").open = true;
      note(item, data.status === DRAFT ? say("movedToDrafts") : say("movedToSchedule"));
    } else if (editing(form)) {
      if (!mine && !item.dataset.saving) note(item, say("changedMeanwhile"));
    } else if (form) {
      fillEdit(form, data);
    }
    if (fresh || data.publish_at) placeQueued(item, list);
    localTimes(item);
    this.counts();
  }
}
