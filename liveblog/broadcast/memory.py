"""One process: notices go straight from publisher to listeners."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from .base import Backend, Notice


class MemoryBackend(Backend):
    def __init__(self, url: str = "memory://"):
        super().__init__(url)
        self._listeners: set[asyncio.Queue[Notice]] = set()

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        self._listeners.clear()

    async def publish(self, notice: Notice) -> None:
        for queue in self._listeners:
            queue.put_nowait(notice)

    async def notices(self) -> AsyncIterator[Notice]:
        queue: asyncio.Queue[Notice] = asyncio.Queue()
        self._listeners.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._listeners.discard(queue)
