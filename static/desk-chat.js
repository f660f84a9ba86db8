// The desk's chat (templates/_desk_chat.html): lines from the desk's stream and from this
// desk's own form land once each, in order; the list keeps its newest line in view.
import { localTimes } from "./times.js";

export class Chat {
  constructor(list) {
    this.list = list;
  }

  // `data`: a `chat` frame, or the server's answer to this desk's form (the same shape).
  add(data) {
    if (!this.list || document.getElementById("chat-" + data.id)) return;
    const line = document.createRange().createContextualFragment(data.html).firstElementChild;
    if (!line) return;
    const later = Array.from(this.list.children).find((li) => Number(li.dataset.id) > data.id);
    this.list.insertBefore(line, later || null);
    localTimes(line);
    document.getElementById("chat-empty").hidden = true;
    this.list.scrollTop = this.list.scrollHeight;
  }
}
