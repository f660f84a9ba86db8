"""The page scripts' module graph, read as text: which files an entry module imports.

Imports are plain relative paths written at the top of each module (static/ is served
under content-hashed names by a later step, which rewrites those specifiers), so one
regular expression over the import lines finds them all.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable

IMPORT = re.compile(r'^import\s+(?:[^"\']*?\s+from\s+)?"([^"]+)";\s*$')


def imports_of(source: str) -> list[str]:
    """The specifiers of a module's leading import lines, in order."""
    found = []
    for line in source.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("//"):
            continue
        match = IMPORT.match(stripped)
        if not match:
            break
        found.append(match.group(1))
    return found


def module_graph(entries: Iterable[str], read: Callable[[str], str]) -> list[str]:
    """Every URL path the entry modules load (themselves first), each once.

    `read(path)` gives the text at a URL path such as "/static/live.js".
    """
    seen: list[str] = []
    todo = list(entries)
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.append(path)
        base = posixpath.dirname(path)
        todo += [posixpath.normpath(posixpath.join(base, spec)) for spec in imports_of(read(path))]
    return seen
