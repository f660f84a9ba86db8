// What every item on the desk (a published update, a draft, a scheduled one) shares:
// the copy cloned from its <template>, its note, its edit form.
import { dirty } from "./desk-forms.js";

// A fresh item from the page's <template id=templateId>, for the update `id`.
export function fromTemplate(templateId, id) {
  const holder = document.createElement("template");
  holder.innerHTML = document.getElementById(templateId).innerHTML.replace(/__ID__/g, String(Number(id))).trim();
  const item = holder.content.firstElementChild;
  const desk = document.getElementById("desk");
  liveOnly(item, !desk || desk.dataset.status === "live");
  return item;
}

// What a closed story refuses (data-live-only) is disabled below `root` while it is closed.
export function liveOnly(root, live) {
  root.querySelectorAll("[data-live-only]").forEach((el) => { el.disabled = !live; });
}

// Says something about the item beside it (empty text: nothing).
export function note(item, text) {
  const el = item.querySelector(".desk-note");
  el.textContent = text;
  el.hidden = !text;
}

export function editForm(item) {
  const details = item.querySelector("details.desk-edit");
  return details ? details.querySelector("form") : null;
}

// Is someone typing in the item's open edit form?
export function editing(form) {
  return Boolean(form) && form.closest("details").open && dirty(form);
}
