// The desk's two streams and what it says of them: the story's own event stream (the
// one readers use) for published updates and the story, the desk's stream for the queue
// (read with the session cookie) with who is on the desk, and the audience (readers now,
// on every server process, and the chart of readers per minute), polled.
import { CHAT, DESK_KINDS, DELETE, EDIT, PRESENCE, STORY, SUBMISSION, UPDATE } from "./kinds.js";
import { ResumingStream } from "./resume.js";
import { say } from "./text.js";

// `apply` has update(data), remove(data), story(data), queued(data), chat(data) and
// submission(data); the answer's
// storyChanged(data) is for a change this desk made itself.
export function follow(desk, apply) {
  const live = () => desk.dataset.status === "live";
  const state = document.getElementById("desk-connection");

  function connection(key) {
    state.textContent = say(key);
    desk.dataset.connected = key === "connected" ? "yes" : "no";
  }

  // The story changed (from the stream, or this desk's own form): a reopened story is
  // followed again, a closed one says so.
  function storyChanged(data) {
    apply.story(data);
    if (live()) stories.resume();
    else connection("storyClosed");
  }

  const stories = new ResumingStream(desk.dataset.stream, desk.dataset.lastEventId, {
    handlers: { [UPDATE]: apply.update, [EDIT]: apply.update, [DELETE]: apply.remove, [STORY]: storyChanged },
    wanted: live,
    onApplied(event, lastId) { desk.dataset.lastEventId = lastId; },
    onState(now) {
      if (now === "open") connection("connected");
      else if (live()) connection("reconnecting");
      else {
        stories.stop();
        connection("storyClosed");
      }
    },
  });
  if (live()) stories.connect();
  else connection("storyClosed");

  // Who has this story's desk open, on any server process: from the desk's stream (a
  // `presence` frame when it changes) and from the poll.
  const lists = new Intl.ListFormat(document.documentElement.lang || undefined, { type: "conjunction" });
  function present(editors) {
    const shown = document.getElementById("desk-presence");
    const text = say("onDesk", { names: lists.format(editors) });
    if (editors.length && shown.textContent !== text) shown.textContent = text;
    shown.dataset.names = editors.join("\n");
  }

  const queue = new ResumingStream(desk.dataset.deskStream, desk.dataset.deskLastEventId, {
    handlers: {
      ...Object.fromEntries(DESK_KINDS.map((kind) => [kind, apply.queued])),
      [CHAT]: apply.chat,
      [SUBMISSION]: apply.submission,
      [PRESENCE]: (data) => present(data.editors),
    },
    onApplied(event, lastId) { desk.dataset.deskLastEventId = lastId; },
    onState(now) { desk.dataset.queueConnected = now === "open" ? "yes" : "no"; },
  });
  queue.connect();

  // The audience is summed from every server process's beat; asking every few seconds is
  // plenty for figures editors glance at, and the answer also tells a closed desk when
  // to reconnect. The chart (drawn by the server, in the page's language) comes only when
  // it changed since the version this page has.
  function poll() {
    const chart = document.getElementById("audience");
    fetch("/admin/stories/" + encodeURIComponent(desk.dataset.slug) + "/readers?chart="
          + encodeURIComponent(chart ? chart.dataset.version : ""), {
      headers: { "Accept": "application/json" }, credentials: "same-origin",
    }).then((r) => (r.ok ? r.json() : null)).then((data) => {
      if (!data) return;
      document.getElementById("reader-count").textContent = data.readers_text;
      present(data.editors);
      if (data.chart && chart) replaceChart(chart, data.chart);
      if (data.last_event_id > Number(stories.lastId) && stories.closed) stories.connect();
    }).catch(() => {});
  }
  setInterval(poll, Number(desk.dataset.pollSeconds) * 1000);

  // A fresh chart keeps its table open if the editor had opened it.
  function replaceChart(old, html) {
    const wasOpen = old.querySelector("details")?.open;
    const fresh = document.createRange().createContextualFragment(html).firstElementChild;
    if (!fresh) return;
    const details = fresh.querySelector("details");
    if (details && wasOpen) details.open = true;
    old.replaceWith(fresh);
  }
  return { storyChanged };
}
