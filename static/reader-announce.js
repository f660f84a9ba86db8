// What a screen reader hears of the live page: one polite live region (#announcer, in
// templates/_updates.html) that says, briefly and once, what arrived. The list of updates
// itself is not live, so its clock ticks, older pages, permalinks and the replay on page
// load say nothing; live.js tells this what to say.
import { say } from "./text.js";

// Changes that come together are said together: gathered this long, then said once.
const GATHER_MS = 300;
const WORDS = 12;

// An update in a few words: its headline, else the first words of its body.
export function gist(article) {
  const headline = article.querySelector(".headline");
  const text = headline && headline.textContent.trim();
  if (text) return text;
  const body = article.querySelector(".body");
  const words = (body ? body.textContent : "").trim().split(/\s+/).filter(Boolean);
  return words.slice(0, WORDS).join(" ") + (words.length > WORDS ? "…" : "");
}

export class Announcer {
  constructor(region) {
    this.region = region;
    this.fresh = new Map();   // id → gist, in the order they arrived
    this.edited = new Map();
    this.notes = [];
    this.timer = null;
  }

  arrived(article) {
    this.fresh.set(article.id, gist(article));
    this.soon();
  }

  edit(article) {
    // Edited before it was said: said once, as new, in its edited words.
    if (this.fresh.has(article.id)) this.fresh.set(article.id, gist(article));
    else this.edited.set(article.id, gist(article));
    this.soon();
  }

  removed(id) {
    this.fresh.delete(id);
    this.edited.delete(id);
  }

  // Any other short sentence (the new-updates button, the connection, the close).
  note(text) {
    if (!text || this.notes.includes(text)) return;
    this.notes.push(text);
    this.soon();
  }

  soon() {
    if (!this.timer) this.timer = setTimeout(() => this.flush(), GATHER_MS);
  }

  flush() {
    this.timer = null;
    const parts = [];
    if (this.fresh.size) {
      const gists = Array.from(this.fresh.values());
      const text = gists[gists.length - 1];
      parts.push(gists.length === 1 ? say("saidNew", { text }) : say("saidSeveral", { n: gists.length, text }));
    }
    this.edited.forEach((text) => parts.push(say("saidEdited", { text })));
    parts.push(...this.notes);
    this.fresh.clear();
    this.edited.clear();
    this.notes = [];
    // Several sentences, each ended once.
    this.write(parts.length === 1 ? parts[0] : parts.map((part) => part.replace(/\.$/, "")).join(". "));
  }

  write(text) {
    const region = this.region;
    if (!region || !text) return;
    if (region.textContent !== text) {
      region.textContent = text;
      return;
    }
    // The same words again are no change a screen reader would hear: empty it first.
    region.textContent = "";
    setTimeout(() => { region.textContent = text; }, 100);
  }
}
