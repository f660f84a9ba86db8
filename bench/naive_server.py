"""The naive baseline: sse-starlette with one asyncio.Queue and one generator per reader.

This is the design Liveblog's fan-out is measured against (bench/fanout.py): each
reader has its own queue, its own generator and sse-starlette's own tasks (pings,
disconnect listener), and every event is encoded again for every reader. Replay of
earlier events (Last-Event-ID) comes from a list in memory.

    python bench/naive_server.py --port 8001
    POST /publish   body = the event's data (one line)   -> 201 {"id": N}
    GET  /events    Last-Event-ID: N                     -> the stream
"""

from __future__ import annotations

import argparse
import asyncio

import uvicorn
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

events: list[tuple[int, str]] = []
queues: set[asyncio.Queue] = set()


async def publish(request: Request) -> JSONResponse:
    data = (await request.body()).decode()
    events.append((len(events) + 1, data))
    for queue in queues:
        queue.put_nowait(events[-1])
    return JSONResponse({"id": len(events)}, status_code=201)


async def stream(request: Request) -> EventSourceResponse:
    after = int(request.headers.get("last-event-id") or len(events))
    # Taken together, with no await between: no gap and no duplicate at the seam.
    replay, queue = events[after:], asyncio.Queue()
    queues.add(queue)

    async def frames():
        try:
            for event_id, data in replay:
                yield ServerSentEvent(id=str(event_id), event="update", data=data)
            while True:
                event_id, data = await queue.get()
                yield ServerSentEvent(id=str(event_id), event="update", data=data)
        finally:
            queues.discard(queue)

    return EventSourceResponse(frames())


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok", "readers": len(queues)})


app = Starlette(
    routes=[
        Route("/publish", publish, methods=["POST"]),
        Route("/events", stream),
        Route("/healthz", healthz),
    ]
)

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The same server stack as `liveblog serve`: uvicorn with httptools and uvloop.
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", http="httptools", loop="uvloop")
