// "Deleted · Undo": an update this desk deleted stays undoable for the server's window
// (data-restore-seconds; the server refuses a restore after it whatever the page says).
// The line goes when the window closes, or when the update is back (this desk's undo, or
// another desk's, seen on the stream).
import { fromTemplate } from "./desk-items.js";

export class Deleted {
  constructor(list, seconds) {
    this.list = list;
    this.seconds = seconds;
    list.querySelectorAll(".deleted-item").forEach((item) => this.expire(item, new Date(item.dataset.until) - Date.now()));
  }

  expire(item, ms) {
    setTimeout(() => item.remove(), Math.max(0, ms));
  }

  // The server's answer to this desk's delete.
  add(data) {
    this.drop(data.id);
    const item = fromTemplate("deleted-item-template", data.id);
    item.querySelector(".deleted-headline").textContent = data.headline ? ": " + data.headline : "";
    item.dataset.until = data.undo_until;
    this.list.prepend(item);
    this.expire(item, this.seconds * 1000);
    item.querySelector("button").focus();
  }

  drop(id) {
    const item = document.getElementById("deleted-" + Number(id));
    if (item) item.remove();
  }
}
