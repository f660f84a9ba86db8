"""The one interface every broadcast backend offers.

A broadcast carries only notices, "story S has events up to id N" (in the readers' log, or
in the desk's): the logs are the truth,
and each process reads the events themselves from it once. A backend that lost its
connection yields `RESYNC` once it is back, so the hub catches up from the log.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator
from typing import NamedTuple


class Notice(NamedTuple):
    """Story `story_id` has events up to `event_id`: in the readers' log, or the desk's."""

    story_id: int
    event_id: int
    desk: bool = False

    def encode(self) -> str:
        return f"{self.story_id}:{self.event_id}" + (":d" if self.desk else "")

    @classmethod
    def decode(cls, text: str | bytes) -> "Notice | None":
        if isinstance(text, bytes):
            text = text.decode("ascii", "replace")
        story, _, rest = text.partition(":")
        event, _, log = rest.partition(":")
        if log not in ("", "d"):
            return None
        try:
            return cls(int(story), int(event), log == "d")
        except ValueError:
            return None


RESYNC = Notice(0, 0)
"""Yielded after a reconnection: anything may have been missed, read the log again."""

CHANNEL = "liveblog_events"


def retry_delays(first: float = 0.1, most: float = 5.0) -> Iterator[float]:
    """Seconds to wait before each reconnection attempt: doubling, capped, with jitter so
    that many processes do not all reconnect in the same instant."""
    delay = first
    while True:
        yield delay * random.uniform(0.5, 1.0)
        delay = min(delay * 2, most)


class Backend(ABC):
    def __init__(self, url: str):
        self.url = url
        self.connected = True  # is the listening connection up (for /metrics)
        self.reconnects = 0  # how often it was lost and made again (for /metrics)

    @abstractmethod
    async def connect(self) -> None: ...

    @abstractmethod
    async def disconnect(self) -> None: ...

    @abstractmethod
    async def publish(self, notice: Notice) -> None:
        """Tell every process (this one included) of a committed event."""

    @abstractmethod
    def notices(self) -> AsyncIterator[Notice]:
        """Every notice published by any process, and RESYNC after each reconnection."""
