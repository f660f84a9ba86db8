// The desk's list of published updates: each the reader partial (`html`, rendered and
// sanitized on the server once per event) wrapped in the desk's controls, kept in the
// readers' order, and never throwing away what an editor is typing in an edit form.
import { dirty, fillEdit } from "./desk-forms.js";
import { editForm, editing, fromTemplate, note } from "./desk-items.js";
import { placeUpdate } from "./ordering.js";
import { say } from "./text.js";
import { localTimes } from "./times.js";

export class UpdateList {
  constructor(list, slug) {
    this.list = list;
    this.empty = document.getElementById("desk-empty");
    refillStaleEdits(slug);
  }

  setPinned(item, pinned) {
    item.dataset.pinned = pinned ? "yes" : "no";
    item.classList.toggle("is-pinned", pinned);
    const form = item.querySelector('form[data-desk-form="pin"]');
    if (!form) return;  // a contributor's desk has no pin control
    form.elements.pinned.value = pinned ? "0" : "1";
    form.querySelector("button").textContent = pinned ? say("unpin") : say("pin");
  }

  // A published update, new or changed (from the stream, or this desk's own answer).
  apply(data) {
    let item = document.getElementById("desk-update-" + data.id);
    const fresh = !item;
    if (fresh) item = fromTemplate("desk-item-template", data.id);
    const wasPinned = item.dataset.pinned === "yes";
    item.querySelector(".desk-view").innerHTML = data.html;
    item.dataset.created = data.created_at;
    this.setPinned(item, data.pinned);
    if (!fresh && editing(editForm(item))) {
      if (!item.dataset.saving) note(item, say("changedMeanwhile"));
    } else {
      markStale(item);
    }
    if (fresh || data.pinned || wasPinned) placeUpdate(this.list, item, data.pinned, '.desk-item[data-pinned="no"]');
    localTimes(item);
    this.empty.hidden = true;
  }

  // A deleted update leaves (`mine`: this desk deleted it).
  remove(id, mine) {
    const item = document.getElementById("desk-update-" + id);
    if (!item) return;
    const form = editForm(item);
    if (!mine && editing(form)) {
      // Never throw away what an editor is typing: keep the form, say what happened.
      item.querySelector(".desk-view").innerHTML = "";
      // Its pin, delete and preview go too: nothing of it can be saved (a preview still on
      // its way finds no section to fill).
      item.querySelectorAll('form[data-desk-form="pin"], details.desk-delete, [data-preview-for]')
        .forEach((el) => el.remove());
      form.querySelector('button[type="submit"]').disabled = true;
      note(item, say("deletedMeanwhile"));
      return;
    }
    item.remove();
    this.empty.hidden = Boolean(this.list.querySelector(".desk-item"));
  }
}

// An update that arrived live has no Markdown on the page; fetch it when its edit opens.
// A failed read of the update is tried this many times more, this far apart.
const REFILL_RETRIES = 3;
const REFILL_RETRY_MS = 1000;

// The item's edit form no longer holds what is stored: it refills from the server when it
// opens, and is read-only until then, so that nothing typed before the read (say, in the
// moment between the click on Edit and the form's toggle event) is overwritten or lost.
function markStale(item) {
  item.dataset.stale = "yes";
  const form = editForm(item);
  if (form) editFields(form).forEach((field) => { field.readOnly = true; });
}

function editFields(form) {
  return [...form.querySelectorAll("input:not([type=hidden]), textarea")];
}

function refillStaleEdits(slug) {
  document.addEventListener("toggle", (event) => {
    const details = event.target;
    if (!details.classList || !details.classList.contains("desk-edit") || !details.open) return;
    const item = details.closest(".desk-item");
    const form = details.querySelector("form");
    if (item.dataset.stale !== "yes" || dirty(form)) return;
    const fields = editFields(form);  // read-only since marked stale
    form.setAttribute("aria-busy", "true");
    const done = () => {
      fields.forEach((field) => { field.readOnly = false; });
      form.removeAttribute("aria-busy");
    };
    const read = (retries) => fetch("/admin/stories/" + encodeURIComponent(slug) + "/updates/" + item.dataset.id, {
      headers: { "Accept": "application/json" }, credentials: "same-origin",
    }).then((r) => {
      if (r.ok) return r.json();
      if (r.status === 404) return null;  // deleted meanwhile: the list's own event says so
      throw new Error(String(r.status));
    }).catch((error) => {
      // A busy server or a lost connection: try again before giving up on the text.
      if (retries === 0) throw error;
      return new Promise((resolve) => { setTimeout(resolve, REFILL_RETRY_MS); }).then(() => read(retries - 1));
    });
    read(REFILL_RETRIES).then((update) => {
      if (update && !dirty(form)) {
        fillEdit(form, update);
        delete item.dataset.stale;
        if (item.querySelector(".desk-note").textContent === say("notLoaded")) note(item, "");
      }
    }).catch(() => note(item, say("notLoaded"))).finally(done);
  }, true);
}
