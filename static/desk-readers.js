// "From readers" (templates/_desk_readers.html): what readers send to callouts and as
// questions arrives live. The desk's stream names it only (`submission` frames: id and
// status), so the desk asks the server for the item, contact details and all; one used
// or set aside, on any desk, leaves the list.
import { localTimes } from "./times.js";

export class FromReaders {
  constructor(list, slug) {
    this.list = list;
    this.slug = slug;
  }

  count() {
    const items = this.list.querySelectorAll("li.submission").length;
    document.getElementById("submissions-count").textContent = String(items);
    document.getElementById("submissions-empty").hidden = items > 0;
  }

  // A `submission` frame: a new one is fetched and shown, any other status drops it.
  apply(data) {
    if (!this.list) return;
    if (data.status !== "new") {
      this.drop(data.id);
      return;
    }
    if (document.getElementById("submission-" + data.id)) return;
    fetch("/admin/stories/" + encodeURIComponent(this.slug) + "/submissions/" + data.id, {
      headers: { Accept: "application/json" }, credentials: "same-origin",
    }).then((r) => (r.ok ? r.json() : null)).then((item) => {
      if (!item || item.status !== "new" || document.getElementById("submission-" + item.id)) return;
      const li = document.createRange().createContextualFragment(item.html).firstElementChild;
      const later = Array.from(this.list.children).find((other) => Number(other.dataset.id) > item.id);
      this.list.insertBefore(li, later || null);
      localTimes(li);
      this.count();
    }).catch(() => {});
  }

  drop(id) {
    const item = document.getElementById("submission-" + id);
    if (item) item.remove();
    this.count();
  }
}
