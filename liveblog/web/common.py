"""What every route module shares: the services, worker-thread calls, JSON and URLs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, TypeVar

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..errors import Invalid
from ..fanout import Hub
from ..inputs import whole_number
from ..newsroom import Newsroom
from ..pagecache import PageCache
from ..settings import Settings
from ..store import Store

T = TypeVar("T")


@dataclass
class Services:
    settings: Settings
    store: Store  # reads; every change goes through the newsroom
    hub: Hub
    newsroom: Newsroom
    pages: PageCache


def services(request: Request) -> Services:
    return request.app.state.services


def newsroom(request: Request) -> Newsroom:
    return request.app.state.services.newsroom


async def blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a store call in a worker thread, so the event loop keeps delivering."""
    return await to_thread.run_sync(partial(fn, *args, **kwargs))


def base_url(request: Request) -> str:
    return services(request).settings.public_url or str(request.base_url).rstrip("/")


def api_json(data: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status_code, headers={"Access-Control-Allow-Origin": "*"})


MAX_ID = 2**62  # any id we hand out fits a signed 64-bit column with room to spare


def int_param(request: Request, name: str, default: int | None, low: int = 1, high: int = MAX_ID) -> int | None:
    """A whole-number query parameter within [low, high], or a 422 naming it."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    value = whole_number(raw)
    if value is None or not low <= value <= high:
        raise Invalid({name: f"must be a whole number from {low} to {high}"})
    return value
