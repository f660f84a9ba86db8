// Rich embeds with consent: a card (see liveblog/embeds.py) loads nothing until the reader
// asks. Then this browser loads the provider's player (an iframe) or asks the provider's
// oEmbed endpoint, and remembers the consent for that provider in localStorage, so its
// cards load by themselves from then on. Nothing is sent to our server.
(function () {
  "use strict";

  var KEY = "liveblog:embed-consent";

  function consented() {
    try {
      var list = JSON.parse(localStorage.getItem(KEY) || "[]");
      return Array.isArray(list) ? list : [];
    } catch (e) {
      return [];
    }
  }

  function setConsent(provider, yes) {
    var list = consented().filter(function (p) { return p !== provider; });
    if (yes) list.push(provider);
    try { localStorage.setItem(KEY, JSON.stringify(list)); } catch (e) { /* private mode: ask again next time */ }
  }

  function sandboxedFrame(attrs) {
    var frame = document.createElement("iframe");
    frame.className = "embed-frame";
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    frame.setAttribute("allow", "encrypted-media; picture-in-picture; fullscreen");
    Object.keys(attrs).forEach(function (name) { frame.setAttribute(name, attrs[name]); });
    return frame;
  }

  function show(card, content) {
    var button = card.querySelector(".embed-load");
    if (button) button.remove();
    card.appendChild(content);
    var note = card.querySelector(".embed-note");
    var provider = card.dataset.provider;
    note.textContent = "Loaded from " + provider + ". ";
    var stop = document.createElement("button");
    stop.type = "button";
    stop.className = "embed-forget link-button";
    stop.textContent = "Stop loading " + provider + " content automatically";
    note.appendChild(stop);
    card.dataset.loaded = "yes";
  }

  function failed(card) {
    card.dataset.loaded = "failed";
    card.querySelector(".embed-note").textContent =
      "This content could not be loaded from " + card.dataset.provider + "; follow the link to see it there.";
  }

  function fromOEmbed(card, answer) {
    var title = card.querySelector(".embed-link");
    if (answer.title && title.textContent === title.getAttribute("href")) title.textContent = answer.title;
    if (answer.type === "photo" && answer.url) {
      var img = document.createElement("img");
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
        height: String(Math.min(Number(answer.height) || 480, 1200))
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
        title: card.dataset.provider + " content"
      }));
      return;
    }
    fetch(card.dataset.oembed, { credentials: "omit", referrerPolicy: "no-referrer" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (answer) {
        var content = fromOEmbed(card, answer);
        if (content) show(card, content); else failed(card);
      })
      .catch(function () { failed(card); });
  }

  function cardsOf(provider) {
    return Array.prototype.filter.call(document.querySelectorAll(".embed-card"), function (card) {
      return card.dataset.provider === provider;
    });
  }

  function loadConsented() {
    var allowed = consented();
    document.querySelectorAll(".embed-card").forEach(function (card) {
      if (allowed.indexOf(card.dataset.provider) !== -1) load(card);
    });
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest(".embed-load, .embed-forget");
    if (!button) return;
    var provider = button.closest(".embed-card").dataset.provider;
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
  document.addEventListener("liveblog:event", loadConsented);
})();
