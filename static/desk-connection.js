// The desk's two streams and what it says of them: the story's own event stream (the
// one readers use) for published updates and the story, the desk's stream for the queue
// (read with the session cookie), and the reader count, polled.
import { DESK_KINDS, DELETE, EDIT, STORY, UPDATE } from "./kinds.js";
import { ResumingStream } from "./resume.js";
import { say } from "./text.js";

// `apply` has update(data), remove(data), story(data) and queued(data); the answer's
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

  const queue = new ResumingStream(desk.dataset.deskStream, desk.dataset.deskLastEventId, {
    handlers: Object.fromEntries(DESK_KINDS.map((kind) => [kind, apply.queued])),
    onApplied(event, lastId) { desk.dataset.deskLastEventId = lastId; },
    onState(now) { desk.dataset.queueConnected = now === "open" ? "yes" : "no"; },
  });
  queue.connect();

  // The reader count lives in the server's hub; asking every few seconds is plenty for a
  // figure editors glance at, and the answer also tells a closed desk when to reconnect.
  function poll() {
    fetch("/admin/stories/" + encodeURIComponent(desk.dataset.slug) + "/readers", {
      headers: { "Accept": "application/json" }, credentials: "same-origin",
    }).then((r) => (r.ok ? r.json() : null)).then((data) => {
      if (!data) return;
      document.getElementById("reader-count").textContent = say("readersOpen", { n: data.readers });
      if (data.last_event_id > Number(stories.lastId) && stories.closed) stories.connect();
    }).catch(() => {});
  }
  setInterval(poll, Number(desk.dataset.pollSeconds) * 1000);
  return { storyChanged };
}
