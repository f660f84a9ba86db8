// The order of updates, newest first: by the time each was created, then by id (two
// updates of one second keep the order they were posted in). Pinned ones come first.

// Where an update stands: from the element's data-created (desk items), else from the
// time in its header (the reader partial).
export function position(el) {
  const time = el.dataset.created ? null : el.querySelector("header time[datetime]");
  return { created: el.dataset.created || (time ? time.getAttribute("datetime") : ""), id: Number(el.dataset.id) || 0 };
}

// Is position a newer than position b?
export function newer(a, b) {
  return a.created !== b.created ? a.created > b.created : a.id > b.id;
}

// Puts `item` into `list` before the first of `others` that `goesBefore(other)` says it
// belongs in front of, else at the end.
export function insertBefore(list, item, others, goesBefore) {
  for (const other of others) {
    if (other !== item && goesBefore(other)) {
      list.insertBefore(item, other);
      return;
    }
  }
  list.appendChild(item);
}

// Puts an update in its place: a pinned one first, any other among `unpinned` (a selector
// of the list's other updates) by its position.
export function placeUpdate(list, item, pinned, unpinned) {
  if (pinned) {
    list.prepend(item);
    return;
  }
  const mine = position(item);
  insertBefore(list, item, list.querySelectorAll(unpinned), (other) => newer(mine, position(other)));
}
