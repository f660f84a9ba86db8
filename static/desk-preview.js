// Previews of the post form and of each edit form, as readers will see the update (the
// server renders it with the very partial and Markdown pipeline stored updates go
// through: headline, text, key-event and pinned badges), following the typing.
const TYPING_PAUSE_MS = 250;

function sectionOf(form) {
  return form.id === "post-form" ? document.getElementById("preview")
    : form.parentElement.querySelector("[data-preview-for]");
}

export class Preview {
  constructor(slug, csrf, me) {
    this.slug = slug;
    this.csrf = csrf;
    this.me = me;
    this.timers = new WeakMap();
    this.seqs = new WeakMap();
    // The previews follow the typing: the no-script Preview buttons are not needed.
    document.querySelectorAll("[data-preview-button]").forEach((b) => { b.hidden = true; });
    const post = document.getElementById("post-form");
    if (post.elements.body.value.trim()) this.request(post);
  }

  // A form of the desk's was typed in: its preview follows after a pause.
  typed(form) {
    if (!sectionOf(form) || !form.elements.body) return;
    clearTimeout(this.timers.get(form));
    this.timers.set(form, setTimeout(() => this.request(form), TYPING_PAUSE_MS));
  }

  // The form was sent or emptied: no preview, and none still on its way.
  clear(form) {
    clearTimeout(this.timers.get(form));
    this.seqs.set(form, (this.seqs.get(form) || 0) + 1);
    this.show(form, "");
  }

  show(form, html) {
    const section = sectionOf(form);
    if (!section) return;
    section.querySelector(".preview-update").innerHTML = html;  // sanitized by the server's own pipeline
    section.hidden = !html;
  }

  request(form) {
    const seq = (this.seqs.get(form) || 0) + 1;
    this.seqs.set(form, seq);
    const el = form.elements;
    if (!el.body.value.trim()) {
      this.show(form, "");
      return;
    }
    const item = form.closest(".desk-item");
    const fields = { body: el.body.value, headline: el.headline.value, slug: this.slug, csrf: this.csrf };
    if (el.key_event && el.key_event.checked) fields.key_event = "on";
    const pinned = item ? item.dataset.pinned === "yes" : el.pinned && el.pinned.checked;
    if (pinned) fields.pinned = "on";
    fields.author = item ? item.dataset.author || "" : this.me;
    fetch("/admin/preview", {
      method: "POST", body: new URLSearchParams(fields), credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": this.csrf },
    }).then((r) => r.json()).then((answer) => {
      if (seq !== this.seqs.get(form)) return;  // a newer keystroke's preview is on its way
      this.show(form, answer.html !== undefined ? answer.html : "");
    }).catch(() => {});
  }
}
