// The editors' desk, better with script: forms are sent without a reload (the server
// answers JSON when asked for it), the list follows the story's own event stream (the
// one readers use), the queue follows the desk's own stream, the post form keeps its
// draft in this browser until the server has stored the update, and the preview comes
// from the server's Markdown pipeline. Without this file every form still works: it
// posts and the server redirects back. This module wires the parts together.
import { DRAFT, PUBLISHED, SCHEDULED } from "./kinds.js";
import { Chat } from "./desk-chat.js";
import { follow } from "./desk-connection.js";
import { counters } from "./desk-count.js";
import { Draft } from "./desk-drafts.js";
import { markSaved, sendForms } from "./desk-forms.js";
import { imageUploads } from "./desk-images.js";
import { note } from "./desk-items.js";
import { warnBeforeLeaving } from "./desk-leave.js";
import { UpdateList } from "./desk-list.js";
import { Preview } from "./desk-preview.js";
import { Queue } from "./desk-queue.js";
import { FromReaders } from "./desk-readers.js";
import { applyStory, closeChoices } from "./desk-story.js";
import { Deleted } from "./desk-undo.js";
import { zoneFields } from "./desk-zone.js";
import { say } from "./text.js";
import { localTimes } from "./times.js";

localTimes(document);
zoneFields(document);

const desk = document.getElementById("desk");
if (desk) openDesk(desk);
else sendForms({ "story-new": (form, data) => window.location.assign(data.desk) });  // the stories page

function openDesk(desk) {
  const updates = new UpdateList(document.getElementById("desk-updates"), desk.dataset.slug);
  const queue = new Queue(desk.dataset.me);
  const postForm = document.getElementById("post-form");
  const draft = new Draft(desk.dataset.slug, postForm, document.getElementById("draft-status"));
  const preview = new Preview(desk.dataset.slug, desk.dataset.csrf, desk.dataset.me);
  const deleted = new Deleted(document.getElementById("desk-deleted"), Number(desk.dataset.restoreSeconds));
  const chat = new Chat(document.getElementById("chat-lines"));
  const fromReaders = new FromReaders(document.getElementById("submissions"), desk.dataset.slug);
  counters(postForm);
  imageUploads(desk.dataset.csrf);
  warnBeforeLeaving();
  closeChoices();

  // What the server answered to one of this desk's own forms, or what another desk did:
  // a queued update carries its status, a published one has left the queue.
  function applyAnswer(data, mine) {
    if (data.status) {
      queue.apply(data, mine);
      return;
    }
    queue.drop(data.id, PUBLISHED, mine);
    updates.apply(data);
  }

  const streams = follow(desk, {
    update: (data) => { deleted.drop(data.id); updates.apply(data); },
    remove: (data) => updates.remove(data.id, false),
    story: (data) => applyStory(desk, data),
    queued: (data) => queue.apply(data, false),
    chat: (data) => chat.add(data),
    submission: (data) => fromReaders.apply(data),
  });

  const sent = { [DRAFT]: "sentForApproval", [SCHEDULED]: "scheduled" };
  sendForms({
    "post": (form, data) => {
      draft.forget(say(sent[data.status] || "posted"));
      form.reset();
      preview.clear(form);
      applyAnswer(data, true);
      form.elements.body.focus();
    },
    "edit": (form, data) => {
      // A correction note goes with the one change it was sent with.
      if (form.elements.correction) form.elements.correction.value = "";
      markSaved(form);
      form.closest("details").open = false;
      preview.clear(form);
      note(form.closest(".desk-item"), "");
      applyAnswer(data, true);
    },
    "queue": (form, data) => {
      const details = form.closest("details");
      if (details) { markSaved(form); details.open = false; }
      applyAnswer(data, true);
    },
    "pin": (form, data) => updates.apply(data),
    "delete": (form, data) => { updates.remove(data.id, true); deleted.add(data); },
    "restore": (form, data) => { deleted.drop(data.id); applyAnswer(data, true); },
    "story": (form, data) => { markSaved(form); streams.storyChanged(data); },
    "chat": (form, data) => {
      form.reset();
      chat.add(data);
      form.elements.text.focus();
    },
    "use": (form, data) => {
      fromReaders.drop(data.submission);
      applyAnswer(data, true);
    },
    "dismiss": (form, data) => fromReaders.drop(data.id),
    "callout": (form, data) => {
      markSaved(form);
      form.closest("details").open = false;
    },
    "status": (form, data) => {
      const details = form.closest("details");
      if (details) details.open = false;
      streams.storyChanged(data);
    },
  }, desk.dataset.csrf, {
    // Pinning another update unpins the one pinned now: say which, and ask first.
    "pin": (form) => form.elements.pinned.value !== "1" || replacesPin(form.closest(".desk-item")),
    "post": (form) => !(form.elements.pinned && form.elements.pinned.checked) || replacesPin(null),
  });


  // The post button says what it will do: a time to publish at makes it a schedule.
  const postAt = postForm.elements.publish_at;
  const postButton = document.getElementById("post-submit");
  function postLabel() {
    if (postAt) postButton.textContent = postAt.value ? say("scheduleUpdate") : say("postUpdate");
  }
  postForm.addEventListener("input", () => {
    postLabel();
    draft.save();
  });
  document.addEventListener("input", (event) => {
    const form = event.target.form;
    if (form && (form === postForm || form.dataset.deskForm === "edit")) preview.typed(form);
  });
  postForm.addEventListener("reset", () => setTimeout(postLabel, 0));
  postLabel();
}

// Does the editor agree to unpin the update pinned now (if any other is) for this one?
function replacesPin(item) {
  const pinned = Array.from(document.querySelectorAll('#desk-updates .desk-item[data-pinned="yes"]'))
    .find((other) => other !== item);
  if (!pinned) return true;
  const headline = pinned.querySelector(".desk-view .headline");
  const body = pinned.querySelector(".desk-view .body");
  let text = (headline ? headline.textContent : body ? body.textContent : "").trim();
  if (text.length > 100) text = text.slice(0, 99) + "…";
  return window.confirm(say("replacesPin", { headline: text }));
}
