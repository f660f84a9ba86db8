// An EventSource that never loses its place. EventSource reconnects by itself after a
// dropped connection, sending the last id it saw; after an HTTP error (a 5xx while the
// server restarts, a 429) it gives up for good, and a phone that slept may hold a dead
// connection. In both cases this opens a new one from the id reached, with backoff.
// The server answers 204 once a closed story has nothing left to send; `wanted` says
// whether reconnecting still makes sense (the story is live).

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 30000;

export class ResumingStream {
  // `handlers` maps each event kind to a function of the event's parsed JSON data;
  // `onApplied(event, lastId)` runs after each; `onState("open" | "error")` tells the
  // connection's state.
  constructor(url, lastId, { handlers, wanted = () => true, onApplied = () => {}, onState = () => {} }) {
    this.url = url;
    this.lastId = lastId;
    this.handlers = handlers;
    this.wanted = wanted;
    this.onApplied = onApplied;
    this.onState = onState;
    this.source = null;
    this.retry = FIRST_RETRY_MS;
    this.timer = null;
    const wake = () => {
      if (document.visibilityState === "visible") this.resume();
    };
    document.addEventListener("visibilitychange", wake);
    window.addEventListener("online", wake);
  }

  get closed() {
    return !this.source || this.source.readyState === EventSource.CLOSED;
  }

  // (Re)opens the stream from the last id reached.
  connect() {
    clearTimeout(this.timer);
    if (this.source) this.source.close();
    const source = new EventSource(this.url + (this.url.includes("?") ? "&" : "?") + "last_event_id=" + encodeURIComponent(this.lastId));
    this.source = source;
    Object.entries(this.handlers).forEach(([kind, apply]) => {
      source.addEventListener(kind, (event) => {
        apply(JSON.parse(event.data));
        if (event.lastEventId) this.lastId = event.lastEventId;
        this.retry = FIRST_RETRY_MS;
        this.onApplied(event, this.lastId);
      });
    });
    source.addEventListener("open", () => this.onState("open"));
    source.addEventListener("error", () => {
      this.onState("error");
      if (source.readyState === EventSource.CLOSED && this.wanted()) {
        this.timer = setTimeout(() => this.connect(), this.retry);
        this.retry = Math.min(this.retry * 2, LAST_RETRY_MS);
      }
    });
  }

  // Opens the stream again if it has given up and is still wanted.
  resume() {
    if (this.closed && this.wanted()) this.connect();
  }

  stop() {
    clearTimeout(this.timer);
    if (this.source) this.source.close();
  }
}
