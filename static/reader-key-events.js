// The story page's box of key events: the newest few with their times, and "Show all N
// key events", a link to the key-events view that opens them here instead. Kept in step
// with the stream: a new key event goes first and the oldest shown leaves, so the box
// stays as short as it was rendered, until the reader has asked for all of them.
import { say } from "./text.js";
import { localTimes } from "./times.js";

export class KeyEvents {
  constructor(list) {
    this.list = list;
    this.all = list && document.getElementById("all-key-events");
    this.limit = list ? Number(list.dataset.limit) || 5 : 0;
    this.count = list ? Number(list.dataset.count) || 0 : 0;
    this.expanded = false;
    if (this.all) this.all.addEventListener("click", (e) => {
      e.preventDefault();
      this.expand().catch(() => { location.href = this.all.href; });
    });
  }

  item(id, headline, bodyHTML, createdAt) {
    const item = document.createElement("li");
    item.dataset.id = id;
    const time = document.createElement("time");
    time.setAttribute("datetime", createdAt);
    const link = document.createElement("a");
    link.href = "#update-" + id;
    link.dir = "auto";
    const text = document.createElement("div");
    text.innerHTML = bodyHTML;
    link.textContent = headline || text.textContent.trim().slice(0, 90);
    item.append(time, " ", link);
    localTimes(item);
    return item;
  }

  // Keeps the box in step with an update (`key_event` false takes it out); `posted` when
  // it is a new update, not an edit of one. An edit marking an update older than every
  // one shown (the box full) is left to the key-events view: it would not show here.
  update(data, posted = false) {
    if (!this.list) return;
    const old = this.list.querySelector(`li[data-id="${Number(data.id)}"]`);
    if (!data.key_event) {
      if (old) {
        old.remove();
        this.count -= 1;
      }
    } else {
      const fresh = this.item(data.id, data.headline, data.body_html, data.created_at);
      if (old) old.replaceWith(fresh);
      else {
        // Newest first: by time, then id (times are to the second).
        const at = new Date(data.created_at).getTime();
        const older = (li) => {
          const t = new Date(li.querySelector("time").getAttribute("datetime")).getTime();
          return t < at || (t === at && Number(li.dataset.id) < Number(data.id));
        };
        const after = posted ? this.list.firstElementChild : Array.from(this.list.children).find(older);
        const full = !this.expanded && this.list.children.length >= this.limit;
        if (posted || after || !full) {
          this.list.insertBefore(fresh, after || null);
          this.count += 1;
        }
      }
    }
    this.trim();
  }

  trim() {
    if (!this.expanded) {
      const items = this.list.children;
      while (items.length > this.limit) items[items.length - 1].remove();
    }
    this.list.dataset.count = this.count;
    this.list.parentElement.hidden = !this.list.children.length;
    if (this.all) {
      this.all.hidden = this.expanded || this.count <= this.list.children.length;
      this.all.textContent = say("showAllKeyEvents", { n: this.count });
    }
  }

  // Every key event, from the key-events view (its first page), in place.
  expand() {
    return fetch(this.all.href, { credentials: "same-origin" }).then((r) => {
      if (!r.ok) throw new Error(r.status);
      return r.text();
    }).then((html) => {
      const doc = new DOMParser().parseFromString(html, "text/html");
      const items = Array.from(doc.querySelectorAll("#updates article.update"), (el) => {
        const headline = el.querySelector(".headline");
        const body = el.querySelector(".body");
        return this.item(Number(el.dataset.id), headline && headline.textContent,
          body ? body.innerHTML : "", el.querySelector("a.permalink time").getAttribute("datetime"));
      });
      // A key-events view longer than a page: the link takes the reader there for the rest.
      if (doc.getElementById("older-link")) throw new Error("more than one page");
      const focused = document.activeElement === this.all;
      this.list.replaceChildren(...items);
      this.expanded = true;
      this.trim();
      if (focused && items.length) items[0].querySelector("a").focus();
    });
  }
}
