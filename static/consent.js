// Rich embeds with consent: a card (see liveblog/embeds.py) loads nothing until the reader
// asks. Then this browser loads the provider's player (an iframe) or asks the provider's
// oEmbed endpoint, and remembers the consent for that provider in localStorage, so its
// cards load by themselves from then on. Nothing is sent to our server.
import { onApplied } from "./signals.js";
import { say } from "./text.js";

const KEY = "liveblog:embed-consent";
const MOST_FRAME_HEIGHT = 1200;

function consented() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(list) ? list : [];
  } catch (e) {
    return [];
  }
}

function setConsent(provider, yes) {
  const list = consented().filter((p) => p !== provider);
  if (yes) list.push(provider);
  try { localStorage.setItem(KEY, JSON.stringify(list)); } catch (e) { /* private mode: ask again next time */ }
}

function sandboxedFrame(attrs) {
  const frame = document.createElement("iframe");
  frame.className = "embed-frame";
  frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
  frame.setAttribute("allow", "encrypted-media; picture-in-picture; fullscreen");
  Object.entries(attrs).forEach(([name, value]) => frame.setAttribute(name, value));
  return frame;
}

function show(card, content) {
  const button = card.querySelector(".embed-load");
  if (button) button.remove();
  card.appendChild(content);
  const note = card.querySelector(".embed-note");
  const provider = card.dataset.provider;
  note.textContent = say("embedLoadedFrom", { provider });
  const stop = document.createElement("button");
  stop.type = "button";
  stop.className = "embed-forget link-button";
  stop.textContent = say("embedStopLoading", { provider });
  note.appendChild(stop);
  card.dataset.loaded = "yes";
}

function failed(card) {
  card.dataset.loaded = "failed";
  card.querySelector(".embed-note").textContent = say("embedFailed", { provider: card.dataset.provider });
}

function fromOEmbed(card, answer) {
  const title = card.querySelector(".embed-link");
  if (answer.title && title.textContent === title.getAttribute("href")) title.textContent = answer.title;
  if (answer.type === "photo" && answer.url) {
    const img = document.createElement("img");
    img.src = answer.url;
    img.alt = answer.title || "";
    img.setAttribute("referrerpolicy", "no-referrer");
    return img;
  }
  if (answer.html) {
    // The provider's markup runs in an opaque origin: it can script itself, not this page.
    return sandboxedFrame({
      sandbox: "allow-scripts allow-popups allow-popups-to-escape-sandbox allow-presentation",
      srcdoc: answer.html,
      height: String(Math.min(Number(answer.height) || 480, MOST_FRAME_HEIGHT)),
    });
  }
  return null;
}

function load(card) {
  if (card.dataset.loaded) return;
  card.dataset.loaded = "loading";
  if (card.dataset.frame) {
    show(card, sandboxedFrame({
      src: card.dataset.frame,
      sandbox: "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox allow-presentation",
      title: say("embedFrameTitle", { provider: card.dataset.provider }),
    }));
    return;
  }
  fetch(card.dataset.oembed, { credentials: "omit", referrerPolicy: "no-referrer" })
    .then((r) => { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then((answer) => {
      const content = fromOEmbed(card, answer);
      if (content) show(card, content); else failed(card);
    })
    .catch(() => failed(card));
}

function cardsOf(provider) {
  return Array.from(document.querySelectorAll(".embed-card")).filter((card) => card.dataset.provider === provider);
}

function loadConsented() {
  const allowed = consented();
  document.querySelectorAll(".embed-card").forEach((card) => {
    if (allowed.includes(card.dataset.provider)) load(card);
  });
}

document.addEventListener("click", (e) => {
  const button = e.target.closest && e.target.closest(".embed-load, .embed-forget");
  if (!button) return;
  const provider = button.closest(".embed-card").dataset.provider;
  if (button.classList.contains("embed-load")) {
    setConsent(provider, true);
    cardsOf(provider).forEach(load);
  } else {
    setConsent(provider, false);
    button.remove();
  }
});

loadConsented();
// Updates arriving live may carry cards of providers already allowed.
onApplied(loadConsented);
