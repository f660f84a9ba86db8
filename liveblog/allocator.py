"""Memory a crowd has left goes back to the system.

Two habits of glibc's allocator kept a server's memory high for good after a soak (1,000
readers, image uploads, hostile clients; tests/test_soak.py), 16–47 MiB above where it
started after one round and 24–84 MiB after two:

- its threshold for giving a large block pages of its own rises after the first such block
  is freed, so later large blocks (image rows, rendered pages) come from the heaps, where
  what is freed around them stays;
- every thread that allocates may get a heap (arena) of its own, up to eight per core, each
  keeping its own freed fragments.

With the threshold fixed at 256 KiB (twice glibc's starting value) and two arenas, the same
soak settled 16–19 MiB above its start after one round and 22–24 MiB after two, where
three rounds more left it. Where the C library is not glibc these are no-ops.
"""

from __future__ import annotations

import ctypes

MMAP_THRESHOLD = 256 * 1024
ARENAS = 2
_M_MMAP_THRESHOLD = -3  # mallopt's parameters, from glibc's malloc.h
_M_ARENA_MAX = -8

_libc = ctypes.CDLL(None)
_mallopt = getattr(_libc, "mallopt", None)
_malloc_trim = getattr(_libc, "malloc_trim", None)


def settle() -> None:
    """Fix the threshold and the number of arenas (once per process, before its threads start)."""
    if _mallopt is not None:
        _mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        _mallopt(_M_ARENA_MAX, ARENAS)


def release_freed() -> None:
    """Hand the free pages inside the heaps back to the system (after a large piece of work,
    such as re-encoding an image: six 49-megapixel JPEGs left a process at 232 MiB for good,
    from 105 MiB; with this after each, it was back at 103 MiB)."""
    if _malloc_trim is not None:
        _malloc_trim(0)
