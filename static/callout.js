// Callouts and readers' questions (templates/_callout.html). Without script the form
// posts and the server answers with the callout's page; with it, what the reader wrote
// goes by fetch and a thank-you takes the form's place. What they type is kept while the
// stream replaces the update around the form (an edit of its text, a pin), so a reader
// halfway through an answer loses nothing, nor the photo they chose; a closed story
// takes no more answers. A form that asks for a photo is sent as multipart.
import { onApplied, onStatus } from "./signals.js";
import { say } from "./text.js";

const typed = new Map(); // callout id → [[field, value, checked or files]] as last typed

function calloutOf(form) {
  const section = form.closest("section.callout[data-callout]");
  return section && section.dataset.callout;
}

function kept(el) {
  if (el.type === "checkbox") return el.checked;
  return el.type === "file" ? Array.from(el.files) : el.value;
}

function remember(form) {
  typed.set(calloutOf(form), Array.from(form.elements).filter((el) => el.name && el.name !== "website")
    .map((el) => [el.name, kept(el)]));
}

function chooseAgain(field, files) {
  if (!files.length || field.files.length || typeof DataTransfer !== "function") return;
  const chosen = new DataTransfer();
  files.forEach((file) => chosen.items.add(file));
  field.files = chosen.files;
}

// A form rendered afresh by the stream gets back what the reader had typed in it.
function refill() {
  document.querySelectorAll("section.callout[data-callout] form[data-callout-form]").forEach((form) => {
    const values = typed.get(calloutOf(form));
    if (!values || form.dataset.refilled) return;
    form.dataset.refilled = "yes";
    for (const [name, value] of values) {
      const field = form.elements[name];
      if (!field) continue;
      if (field.type === "checkbox") field.checked = value;
      else if (field.type === "file") chooseAgain(field, value);
      else if (!field.value) field.value = value;
    }
  });
}

function showErrors(form, errors) {
  for (const [key, message] of Object.entries(errors)) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(key)}"]`) || form.querySelector('[data-error-for="form"]');
    slot.textContent = message;
    slot.hidden = false;
    const field = form.elements[key];
    if (field && field.setAttribute) field.setAttribute("aria-invalid", "true");
  }
}

async function send(form) {
  const section = form.closest("section.callout");
  const button = form.querySelector("button[type=submit]");
  form.querySelectorAll("[data-error-for]").forEach((slot) => { slot.hidden = true; slot.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((field) => field.removeAttribute("aria-invalid"));
  button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      headers: { Accept: "application/json" },
      body: form.enctype === "multipart/form-data" ? new FormData(form) : new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => null);
    if (response.ok) {
      typed.delete(calloutOf(form));
      const sent = section.querySelector(".callout-sent");
      sent.textContent = data.message;
      sent.hidden = false;
      form.remove();
      return;
    }
    const errors = data && data.errors && Object.keys(data.errors).length ? data.errors
      : { form: (data && data.error) || say("notSaved", { status: response.status }) };
    showErrors(form, errors);
  } catch {
    showErrors(form, { form: say("notSent") });
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("input", (event) => {
  const form = event.target.form;
  if (form && form.matches("[data-callout-form]")) remember(form);
});
document.addEventListener("change", (event) => {
  const form = event.target.form;
  if (form && form.matches("[data-callout-form]")) remember(form);
});
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.matches("[data-callout-form]") || !window.fetch) return;
  event.preventDefault();
  send(form);
});
onApplied(refill);
onStatus((status) => {
  document.querySelectorAll("section.callout form[data-callout-form]").forEach((form) => { form.hidden = status !== "live"; });
});
