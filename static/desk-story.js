// The story as the desk shows it: title, summary, live or closed, and the controls that
// go with each. Its settings form follows other editors' changes unless someone is typing.
import { dirty, markSaved } from "./desk-forms.js";
import { liveOnly } from "./desk-items.js";
import { say } from "./text.js";

export function applyStory(desk, data) {
  document.getElementById("desk-title").textContent = data.title;
  document.getElementById("desk-summary").textContent = data.summary;
  document.title = say("deskTitle", { title: data.title });
  const storyForm = document.getElementById("story-form");
  if (storyForm && !dirty(storyForm)) {
    storyForm.elements.title.value = data.title;
    storyForm.elements.summary.value = data.summary;
    markSaved(storyForm);
  }
  const live = data.status === "live";
  desk.dataset.status = data.status;
  document.getElementById("desk-status-live").hidden = !live;
  document.getElementById("desk-status-closed").hidden = live;
  ["close-control", "reopen-control"].forEach((id) => {
    const control = document.getElementById(id);  // an editor's only
    if (control) control.hidden = (id === "close-control") !== live;
  });
  document.getElementById("closed-warning").hidden = live;
  document.getElementById("closed-note").hidden = live;
  liveOnly(document, live);
}

// The close form lists the scheduled updates as the queue holds them now, and asks what
// becomes of them (publish now, cancel, keep for the reopening) only when there are some.
export function closeChoices() {
  const control = document.getElementById("close-control");
  if (!control) return;  // an editor's only
  control.addEventListener("toggle", () => {
    if (!control.open) return;
    const scheduled = Array.from(document.querySelectorAll("#scheduled .queue-item"));
    const list = document.getElementById("close-scheduled-list");
    list.replaceChildren(...scheduled.map((item) => {
      const line = document.createElement("li");
      const headline = item.querySelector(".headline");
      const body = item.querySelector(".body");
      const text = headline ? headline.textContent : (body ? body.textContent : "");
      line.textContent = (text.length > 80 ? text.slice(0, 79) + "…" : text) + " · ";
      const time = item.querySelector(".queue-time");
      if (time) line.append(time.cloneNode(true));
      return line;
    }));
    const choices = document.getElementById("close-scheduled");
    choices.hidden = choices.disabled = !scheduled.length;
  });
}
