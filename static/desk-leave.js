// Leaving the desk with text not yet saved in any of its forms asks first (the browser's
// own "leave this page?"). Not after a form is sent the plain way (the page is leaving
// because of it), nor once desk.js has saved what was typed.
import { dirty } from "./desk-forms.js";

export function warnBeforeLeaving() {
  let submitting = false;
  // Bubbling to the window comes after desk.js's own handlers, which take most forms over.
  window.addEventListener("submit", (event) => { if (!event.defaultPrevented) submitting = true; });
  window.addEventListener("pageshow", () => { submitting = false; });
  window.addEventListener("beforeunload", (event) => {
    if (submitting) return;
    const unsaved = Array.from(document.querySelectorAll("form[data-desk-form]")).some((form) => dirty(form));
    if (!unsaved) return;
    event.preventDefault();
    event.returnValue = "";  // what older browsers look for
  });
}
