// The banner's word on the stream: a quiet "Reconnecting…" while it is lost, then
// "Live · N updates caught up" once it is back and what it missed has been applied.
// While a (re)opened stream replays, the updates it brings are counted, not announced.
import { UPDATE } from "./kinds.js";
import { say } from "./text.js";

// The replay comes at once after the stream opens; this long without an event, it is done.
const QUIET_MS = 500;

export class Connection {
  // `announcer` says the changes of state; `live()` is false once the story is closed.
  constructor(announcer, live) {
    this.announcer = announcer;
    this.live = live;
    this.lost = false;
    this.catchingUp = false;
    this.caught = 0;
    this.timer = null;
    this.onCaughtUp = () => {};
  }

  show(text, reconnecting) {
    const banner = document.getElementById("live-banner");
    if (!banner) return;
    banner.classList.toggle("reconnecting", reconnecting);
    const state = banner.querySelector(".connection");
    if (state && state.textContent !== text) state.textContent = text;
  }

  // The stream is open; `caughtUp()` runs once its replay is applied.
  opened(caughtUp = () => {}) {
    this.onCaughtUp = caughtUp;
    this.catchingUp = true;
    this.caught = 0;
    this.quiet();
  }

  failed() {
    clearTimeout(this.timer);
    this.catchingUp = false;
    if (this.lost || !this.live()) return;
    this.lost = true;
    this.show(say("reconnectingLive"), true);
    this.announcer.note(say("reconnectingLive"));
  }

  // An event was applied; true while it is part of a replay.
  applied(type) {
    if (!this.catchingUp) {
      if (!this.lost) this.show("", false);
      return false;
    }
    if (type === UPDATE) this.caught += 1;
    this.quiet();
    return true;
  }

  quiet() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.caughtUp(), QUIET_MS);
  }

  caughtUp() {
    this.catchingUp = false;
    this.onCaughtUp();
    if (!this.lost) return;
    this.lost = false;
    if (!this.live()) return;
    const text = this.caught ? say("caughtUp", { n: this.caught }) : say("backLive");
    this.show(text, false);
    this.announcer.note(text);
  }
}
