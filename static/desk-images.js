// Images from the desk's forms: the post form's "Upload and add to the text" puts the
// image's snippet in the text where the cursor is; the story form's makes it the lead
// image, saved with the form. The server checks each image as the API does (size, type,
// pixels, re-encoding). Only the image and its own fields are sent, so nothing typed
// elsewhere in the form is touched; a refusal is shown beside the file field. Without
// script the button sends the whole form and the server answers with the desk again.
import { showErrors } from "./desk-forms.js";
import { say } from "./text.js";

const IMAGE_FIELDS = ["alt", "caption", "credit"];

function clearError(form) {
  const slot = form.querySelector('[data-error-for="file"]');
  if (slot) { slot.textContent = ""; slot.hidden = true; }
  form.elements.file.removeAttribute("aria-invalid");
}

// Puts `snippet` in the text at the cursor (on lines of its own), as if typed.
function insert(textarea, snippet) {
  const at = textarea.selectionEnd != null ? textarea.selectionEnd : textarea.value.length;
  const before = textarea.value.slice(0, at).replace(/\s+$/, "");
  const after = textarea.value.slice(at).replace(/^\s+/, "");
  textarea.value = (before ? before + "\n\n" : "") + snippet + (after ? "\n\n" + after : "");
  const end = (before ? before.length + 2 : 0) + snippet.length;
  textarea.setSelectionRange(end, end);
  textarea.dispatchEvent(new Event("input", { bubbles: true }));
}

function upload(form, button, csrf) {
  const file = form.elements.file;
  const status = form.querySelector("[data-upload-status]");
  clearError(form);
  if (!file.files.length) {
    showErrors(form, { file: say("chooseImage") });
    return;
  }
  const max = Number(file.dataset.maxBytes);
  if (max && file.files[0].size > max) {
    showErrors(form, { file: say("imageTooLarge", { mb: Math.floor(max / (1024 * 1024)) }) });
    return;
  }
  const body = new FormData();
  body.append("csrf", csrf);
  body.append("file", file.files[0]);
  if (button.dataset.upload === "post") IMAGE_FIELDS.forEach((name) => body.append(name, form.elements[name].value));
  button.disabled = true;
  if (status) status.textContent = say("imageUploading");
  return fetch(button.formAction, {
    method: "POST", body, credentials: "same-origin", headers: { "Accept": "application/json", "X-CSRF-Token": csrf },
  }).then((response) => response.json().catch(() => null).then((data) => {
    if (!response.ok) {
      const errors = data && data.errors ? data.errors : { file: say("notSaved", { status: response.status }) };
      showErrors(form, errors);
      if (status) status.textContent = "";
      return;
    }
    file.value = "";
    if (button.dataset.upload === "post") {
      IMAGE_FIELDS.forEach((name) => { form.elements[name].value = ""; });
      insert(form.elements.body, data.html);
      if (status) status.textContent = say("imageAdded");
    } else {
      form.elements.image.value = data.name;
      if (form.elements.remove_image) form.elements.remove_image.checked = false;
      const shown = document.getElementById("story-image-shown");
      shown.replaceChildren(Object.assign(document.createElement("img"), { src: data.url, alt: "" }));
      shown.hidden = false;
      if (status) status.textContent = say("leadImageReady");
      form.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }), () => {
    showErrors(form, { file: say("notSent") });
    if (status) status.textContent = "";
  }).finally(() => { button.disabled = false; });
}

export function imageUploads(csrf) {
  document.addEventListener("submit", (event) => {
    const button = event.submitter;
    if (!button || !button.dataset.upload) return;
    event.preventDefault();
    upload(event.target, button, csrf);
  });
}
