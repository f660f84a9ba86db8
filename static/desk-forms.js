// Desk forms sent without a reload: the server answers JSON when asked for it, errors
// go beside their fields, and the form keeps everything typed in it either way.
// Without script every form still works: it posts and the server redirects back.
import { say } from "./text.js";
import { fillOffsets } from "./desk-zone.js";

function errorSlot(form, key) {
  return form.querySelector(`[data-error-for="${key}"]`) ||
    form.querySelector('[data-error-for="form"]') ||
    document.getElementById("desk-alert");
}

function clearErrors(form) {
  form.querySelectorAll("[data-error-for]").forEach((el) => {
    el.textContent = "";
    el.hidden = true;
  });
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  const alert = document.getElementById("desk-alert");
  if (alert) alert.hidden = true;
}

// Is `button` one a closed story refuses (data-live-only) while it is closed?
function refusedWhileClosed(button) {
  const desk = document.getElementById("desk");
  return Boolean(desk && desk.dataset.status !== "live" && button.hasAttribute("data-live-only"));
}

// A field's error goes once the field is changed: an old "that time has passed" is not
// left beside a time that no longer says it.
function clearFixed(event) {
  const field = event.target;
  if (!field.form || !field.name || !field.form.dataset.deskForm) return;
  const slot = field.form.querySelector(`[data-error-for="${field.name}"]`);
  if (slot && !slot.hidden) {
    slot.textContent = "";
    slot.hidden = true;
  }
  field.removeAttribute("aria-invalid");
}
document.addEventListener("input", clearFixed);
document.addEventListener("change", clearFixed);

export function showErrors(form, errors) {
  Object.entries(errors).forEach(([key, message]) => {
    const slot = errorSlot(form, key);
    if (!slot) return;
    slot.textContent = slot.hidden || !slot.textContent ? message : slot.textContent + " " + message;
    slot.hidden = false;
    const input = form.elements[key];
    if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
  });
}

// Sends the form as it stands; resolves to the server's JSON, or null after showing why
// it failed.
function send(form, csrf) {
  clearErrors(form);
  fillOffsets(form);
  const buttons = form.querySelectorAll("button");
  buttons.forEach((b) => { b.disabled = true; });
  form.setAttribute("aria-busy", "true");
  const headers = { "Accept": "application/json" };
  if (csrf) headers["X-CSRF-Token"] = csrf;
  // The text fields only: an image goes by its own upload (desk-images.js).
  const fields = Array.from(new FormData(form)).filter(([, value]) => typeof value === "string");
  return fetch(form.action, { method: "POST", body: new URLSearchParams(fields), headers, credentials: "same-origin" })
    .then((response) => response.json().catch(() => null).then((data) => {
      if (response.ok) return data;
      let errors = data && data.errors ? data.errors : {};
      if (!Object.keys(errors).length) errors = { form: say("notSaved", { status: response.status }) };
      showErrors(form, errors);
      return null;
    }), () => {
      showErrors(form, { form: say("notSent") });
      return null;
    })
    .finally(() => {
      buttons.forEach((b) => { b.disabled = refusedWhileClosed(b); });
      form.removeAttribute("aria-busy");
    });
}

// Sends every form marked data-desk-form="kind" that `onSent` knows, then hands the
// answer to onSent[kind](form, data). `checks[kind](form)`, when given, may say false
// (the editor did not confirm): then nothing is sent. An upload button's submit is left
// to desk-images.js.
export function sendForms(onSent, csrf, checks = {}) {
  document.addEventListener("submit", (event) => {
    const form = event.target;
    const kind = form.dataset && form.dataset.deskForm;
    if (!kind || !onSent[kind]) return;
    if (event.submitter && event.submitter.dataset.upload) return;
    event.preventDefault();
    if (checks[kind] && !checks[kind](form)) return;
    const item = form.closest(".desk-item");
    if (item) item.dataset.saving = "yes";
    send(form, csrf).then((data) => {
      if (item) delete item.dataset.saving;
      if (data) onSent[kind](form, data);
    });
  });
}

// What the form holds now becomes what it started with: it is no longer dirty.
export function markSaved(form) {
  Array.from(form.elements).forEach((el) => {
    if (el.type === "checkbox" || el.type === "radio") el.defaultChecked = el.checked;
    else if (el.type === "file") el.value = "";
    else if (el.type !== "hidden" && "defaultValue" in el) el.defaultValue = el.value;
  });
}

// Has someone typed in the form since it was filled?
export function dirty(form) {
  return Array.from(form.elements).some((el) => {
    if (el.type === "checkbox") return el.checked !== el.defaultChecked;
    if (el.type === "radio") return false;  // a choice, not text to lose
    return el.type !== "hidden" && "defaultValue" in el && el.value !== el.defaultValue;
  });
}

// What an update's edit form holds: headline, Markdown, key event.
export function editValues(form) {
  return { headline: form.elements.headline.value, body: form.elements.body.value, key_event: form.elements.key_event.checked };
}

// Puts `values` (headline, Markdown, key event) in an update's edit form, as if typed.
export function typeEdit(form, values) {
  form.elements.headline.value = values.headline;
  form.elements.body.value = values.body;
  form.elements.key_event.checked = values.key_event;
}

// Fills an update's edit form with what is stored.
export function fillEdit(form, update) {
  typeEdit(form, update);
  markSaved(form);
}
