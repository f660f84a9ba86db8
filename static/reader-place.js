// The reader's place: new updates never push what they are reading away. While the top
// of the list is out of sight, a change keeps the update they look at still, and a
// "↑ N new updates" button counts what arrived above and takes them up to it; each new
// count is handed to `announce` (the page's announcer), once.
import { say } from "./text.js";

export class ReaderPlace {
  constructor(list, embedded, announce = () => {}) {
    this.list = list;
    this.embedded = embedded;
    this.announce = announce;
    this.fresh = 0;
    this.button = null;
    let queued = false;
    window.addEventListener("scroll", () => {
      if (queued || !this.fresh) return;
      queued = true;
      requestAnimationFrame(() => {
        queued = false;
        if (!this.awayFromTop()) this.clearFresh();
      });
    }, { passive: true });
  }

  // True when the top of the updates is scrolled out of sight: a new update would land
  // where the reader cannot see it.
  awayFromTop() {
    return !this.embedded && this.list.getBoundingClientRect().top < 0;
  }

  // Runs `change` without moving what the reader is looking at; true when they were away
  // from the top. Browsers with scroll anchoring already hold it still (the measured
  // shift is then 0); others get scrolled.
  holding(change) {
    if (!this.awayFromTop()) {
      change();
      return false;
    }
    const anchor = Array.from(this.list.querySelectorAll("article.update"))
      .find((article) => article.getBoundingClientRect().bottom > 0);
    const top = anchor && anchor.getBoundingClientRect().top;
    change();
    if (anchor && anchor.isConnected) {
      const shift = anchor.getBoundingClientRect().top - top;
      if (shift) window.scrollBy(0, shift);
    }
    return true;
  }

  // One more update arrived out of sight; `said` false keeps the count quiet (a replay).
  arrived(said = true) {
    this.fresh += 1;
    if (!this.button) {
      const button = document.createElement("button");
      button.type = "button";
      button.id = "new-updates";
      button.className = "new-updates";
      button.addEventListener("click", () => {
        this.clearFresh();
        const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
        window.scrollTo({ top: window.scrollY + this.list.getBoundingClientRect().top - 12, behavior: smooth ? "smooth" : "auto" });
      });
      document.body.appendChild(button);
      this.button = button;
    }
    this.button.textContent = say("newUpdates", { n: this.fresh });
    this.button.hidden = false;
    // Said without its arrow, which a screen reader would read out as a word.
    if (said) this.announce(this.button.textContent.replace(/^[\s↑]+/, ""));
  }

  clearFresh() {
    this.fresh = 0;
    if (this.button) this.button.hidden = true;
  }
}
