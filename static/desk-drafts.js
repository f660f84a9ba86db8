// The post form's draft, kept in this browser's localStorage until the server has stored
// the update, and restored when the desk opens again.
import { say } from "./text.js";

function storage() {
  try { return window.localStorage; } catch (e) { return null; }
}

export class Draft {
  constructor(slug, form, status) {
    this.key = "liveblog:draft:" + slug;
    this.body = form.elements.body;
    this.headline = form.elements.headline;
    this.status = status;
    this.restore();
  }

  restore() {
    const store = storage();
    let saved = store && store.getItem(this.key);
    if (!saved || this.body.value || this.headline.value) return;
    try { saved = JSON.parse(saved); } catch (e) { return; }
    this.body.value = saved.body || "";
    this.headline.value = saved.headline || "";
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
    try {
      store.setItem(this.key, JSON.stringify({ body: this.body.value, headline: this.headline.value }));
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
