// The post form's draft, kept in this browser's localStorage until the server has stored
// the update, and restored when the desk opens again.
import { say } from "./text.js";

function storage() {
  try { return window.localStorage; } catch (e) { return null; }
}

// What a draft keeps: the text fields as typed, and the checkboxes (key event, pin).
const TEXTS = ["body", "headline", "publish_at"];
const CHECKS = ["key_event", "pinned"];

export class Draft {
  constructor(slug, form, status) {
    this.key = "liveblog:draft:" + slug;
    this.form = form;
    this.body = form.elements.body;
    this.headline = form.elements.headline;
    this.status = status;
    this.restore();
  }

  fields(names) {
    return names.map((name) => this.form.elements[name]).filter(Boolean);  // a contributor has no pin or time
  }

  restore() {
    const store = storage();
    let saved = store && store.getItem(this.key);
    if (!saved || this.body.value || this.headline.value) return;
    try { saved = JSON.parse(saved); } catch (e) { return; }
    this.fields(TEXTS).forEach((field) => { field.value = saved[field.name] || ""; });
    this.fields(CHECKS).forEach((field) => { field.checked = saved[field.name] === true; });
    if (this.body.value || this.headline.value) this.status.textContent = say("draftRestored");
  }

  save() {
    const store = storage();
    if (!store) return;
    if (!this.body.value && !this.headline.value) {
      store.removeItem(this.key);
      this.status.textContent = "";
      return;
    }
    const kept = {};
    this.fields(TEXTS).forEach((field) => { kept[field.name] = field.value; });
    this.fields(CHECKS).forEach((field) => { kept[field.name] = field.checked; });
    try {
      store.setItem(this.key, JSON.stringify(kept));
      this.status.textContent = say("draftKept");
    } catch (e) {
      this.status.textContent = say("draftNotKept");
    }
  }

  // The server has it: the browser's copy goes, and the status says what became of it.
  forget(said) {
    const store = storage();
    if (store) store.removeItem(this.key);
    this.status.textContent = said;
  }
}
