// The post form's preview, from the server's own Markdown pipeline, following the typing.
const TYPING_PAUSE_MS = 250;

export class Preview {
  constructor(body, csrf) {
    this.body = body;
    this.csrf = csrf;
    this.section = document.getElementById("preview");
    this.content = document.getElementById("preview-body");
    this.timer = null;
    this.seq = 0;
    document.getElementById("preview-button").hidden = true;  // the preview follows the typing
    if (body.value.trim()) this.request();
  }

  show(html) {
    this.content.innerHTML = html;  // sanitized by the server's own pipeline
    this.section.hidden = !html;
  }

  typed() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.request(), TYPING_PAUSE_MS);
  }

  request() {
    const seq = ++this.seq;
    if (!this.body.value.trim()) {
      this.show("");
      return;
    }
    fetch("/admin/preview", {
      method: "POST", body: new URLSearchParams({ body: this.body.value, csrf: this.csrf }), credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": this.csrf },
    }).then((r) => r.json()).then((answer) => {
      if (seq !== this.seq) return;  // a newer keystroke's preview is on its way
      this.show(answer.html !== undefined ? answer.html : "");
    }).catch(() => {});
  }
}
