// Keyboard focus on a live page: when the update it is on (or a control in it) is
// replaced, moved, deleted or trimmed, focus goes back to the same update or control,
// else to the next update, else to the heading of the updates. Without this it would
// fall to the top of the document.
const FOCUSABLE = "a[href], button, input, select, textarea, iframe, summary, [tabindex]";

function focusables(article) {
  return Array.from(article.querySelectorAll(FOCUSABLE));
}

// Focuses `el`, making it focusable if it is not (an update, the heading).
export function focusOn(el, { preventScroll = true } = {}) {
  if (!el.matches(FOCUSABLE)) el.setAttribute("tabindex", "-1");
  el.focus({ preventScroll });
}

// Runs `change`, which may replace, move or remove updates of `list`, then puts focus
// where it belongs; returns what `change` returned.
export function keepingFocus(list, change) {
  const active = document.activeElement;
  const article = active && active.closest ? active.closest("article.update") : null;
  if (!article || !list.contains(article)) return change();
  const index = focusables(article).indexOf(active);
  const following = [];
  for (let el = article.nextElementSibling; el; el = el.nextElementSibling) {
    if (el.matches("article.update")) following.push(el.id);
  }
  const result = change();
  if (document.activeElement === active && active.isConnected) return result;
  const shown = (id) => {
    const el = document.getElementById(id);
    return el && list.contains(el) ? el : null;
  };
  const same = shown(article.id);
  const target = same
    ? (index >= 0 && focusables(same)[index]) || same
    : following.map(shown).find(Boolean) || document.getElementById("updates-title");
  if (target) focusOn(target);
  return result;
}
