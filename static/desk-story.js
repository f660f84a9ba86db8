// The story as the desk shows it: title, summary, live or closed, and the controls that
// go with each. Its settings form follows other editors' changes unless someone is typing.
import { dirty, markSaved } from "./desk-forms.js";
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
}
