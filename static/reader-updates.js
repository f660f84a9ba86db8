// The updates on a reader's page: what only works with script on each (its relative
// time, a copy-link control), and putting an update that arrived live in its place.
import { placeUpdate } from "./ordering.js";
import { gist } from "./reader-announce.js";
import { say } from "./text.js";
import { agoElement, localTimes } from "./times.js";

const COPIED_MS = 2000;

// Adds the relative time and the copy-link control, once.
export function decorate(article) {
  const link = article.querySelector("a.permalink");
  const time = link && link.querySelector("time");
  if (!time || article.querySelector(".ago")) return;
  link.after(agoElement(time.getAttribute("datetime")));
  const copy = document.createElement("button");
  copy.type = "button";
  copy.className = "copy-link";
  copy.textContent = say("copyLink");
  // Every update has one: each is named for its own update.
  copy.setAttribute("aria-label", say("copyLinkTo", { text: gist(article) }));
  article.querySelector("header").appendChild(copy);
}

// An update as the server rendered it, made ready for this browser: its times in the
// reader's zone, its relative time and copy-link control.
export function ready(article) {
  localTimes(article);
  decorate(article);
  return article;
}

// An update from the stream's `html`, ready to be placed.
export function fromHTML(html) {
  const holder = document.createElement("template");
  holder.innerHTML = html.trim();
  return ready(holder.content.firstElementChild);
}

function copied(button, text, announce) {
  button.textContent = text;
  announce(text);
  setTimeout(() => { button.textContent = say("copyLink"); }, COPIED_MS);
}

function copyLink(button, announce) {
  const url = button.closest("article").querySelector("a.permalink").href;
  // The clipboard API needs a secure context; elsewhere the reader copies it from a prompt.
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(url).then(() => copied(button, say("copied"), announce),
      () => window.prompt(say("copyPrompt"), url));
  } else {
    window.prompt(say("copyPrompt"), url);
  }
}

// `announce` says "Copied" (the button's name stays the update's).
export function copyLinks(list, announce = () => {}) {
  list.addEventListener("click", (e) => {
    const button = e.target.closest(".copy-link");
    if (button) copyLink(button, announce);
  });
}

export function place(list, article) {
  placeUpdate(list, article, article.classList.contains("pinned"), "article.update:not(.pinned)");
}

// The embed shows only the newest `keep`; older ones leave as new ones come.
export function trim(list, keep) {
  if (!keep) return;
  const rest = list.querySelectorAll("article.update:not(.pinned)");
  for (let i = keep; i < rest.length; i++) rest[i].remove();
}
