"""`create_app(settings)`: the one route table, middleware, start-up and shut-down."""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Route

from . import allocator, audience, embeds, grip, i18n, metrics, push, scheduler, syndication
from .broadcast import backend_for
from .db import make_engine
from .errors import EXCEPTION_HANDLERS, handle_http_exception
from .fanout import Hub
from .assets import Assets, shipped
from .inputs import BodyLimit
from .pagecache import PageCache
from .settings import Settings
from .store import Store
from .newsroom import Newsroom
from .stream import SERVER_SEND, EventStream, serve_directly, stream_target
from .stream_limit import StreamLimit
from .web import api, callouts, desk_chat, editor, feeds, follow, openapi, polls, reader, static, uploads, workflow
from .web.cached import lean
from .web.common import Services
from .web.headers import SecurityHeaders

log = logging.getLogger("liveblog")


class Liveblog(Starlette):
    streams: dict[bool, object]  # the stream endpoints (readers', desk's), served ahead of the middleware
    pages: PageCache  # reader responses ready to send, also served ahead of it
    assets: Assets  # the static files, also
    security: SecurityHeaders

    async def __call__(self, scope, receive, send):
        # The server's own `send`, before any middleware wraps it: the stream writes
        # to its socket directly (see stream.py).
        scope[SERVER_SEND] = send
        target = stream_target(scope)
        if target is not None:
            # Streams skip the middleware stack, which would cost memory per parked
            # reader (serve_directly says how much).
            slug, desk = target
            await serve_directly(self.streams[desk], scope, receive, send, slug)
            return
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            # A static file, or a reader page, feed or read-API answer already in memory
            # and current: the middleware stack, router and worker thread would cost
            # several times the write itself, and its headers were all built once.
            if self.middleware_stack is None:
                self.middleware_stack = self.build_middleware_stack()
            security = self.security.headers_for(scope["path"])
            if scope["path"].startswith(static.PREFIX):
                answer = static.answer(self.assets, scope, security)
            else:
                answer = lean(self.pages, scope, security) if scope["method"] == "GET" else None
            if answer is not None:
                await send(answer[0])
                await send(answer[1])
                return
        await super().__call__(scope, receive, send)

    def build_middleware_stack(self):
        # Outermost, around Starlette's error middleware too, so 500 pages carry the
        # security headers; the story page may reach the embed providers (embeds.py).
        self.security = SecurityHeaders(super().build_middleware_stack(), embeds.frame_origins(), embeds.oembed_origins())
        return self.security


def _end_streams_on_exit(hub: Hub) -> None:
    """On SIGINT/SIGTERM, end every stream cleanly, so the server's graceful shutdown
    is not held open by readers (their EventSource reconnects elsewhere and replays)."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(signum)
        if not callable(previous):
            continue

        def handler(sig, frame, previous=previous):
            loop.call_soon_threadsafe(hub.end_all)
            previous(sig, frame)

        try:
            signal.signal(signum, handler)
        except ValueError:  # not the main thread: the server handles signals itself
            return


def create_app(settings: Settings | None = None, background=(), prepare=None) -> Starlette:
    """The application; `background` holds coroutine functions run beside it, given the Services
    (every process also runs the scheduler and the push sender); `prepare`, one awaited with
    them before the server answers its first request."""
    allocator.settle()
    settings = settings or Settings.load()
    embeds.use(settings.oembed_providers)
    i18n.use(settings.language)
    store = Store(make_engine(settings.database_url), push_rule=push.message)
    backend = backend_for(settings.broadcast_url)
    edge = grip.engines(settings.grip_url) if settings.grip_url else None
    if edge:
        # A GRIP engine holds readers' streams: it hears of every commit made here, and
        # the requests it signs are answered with a hold (grip.py); all others stream here.
        backend = grip.GripRelay(backend, grip.GripPublisher(store, edge))
    hub = Hub(store, backend)
    stream = grip.GripStream(EventStream(hub), hub, edge) if edge else EventStream(hub)
    pages = PageCache(store, hub.backend)
    hub.watchers.append(pages.notice)
    services = Services(settings, store, hub, Newsroom(store, hub, settings.media_dir, settings.reader_media_dir), pages)

    @asynccontextmanager
    async def lifespan(app):
        await hub.start()
        _end_streams_on_exit(hub)
        if prepare is not None:
            await prepare(services)
        tasks = [asyncio.ensure_future(run(services)) for run in (scheduler.run, push.run, audience.run, syndication.run, *background)]
        yield
        for task in tasks:
            task.cancel()
        await hub.stop()

    events = StreamLimit(stream, settings.max_streams_per_address, settings.stream_limit_exempt)
    desk_events = workflow.DeskStream(services)
    routes = [
        *reader.routes,
        # Served ahead of the router (Liveblog.__call__); here for every other method's 405.
        Route("/stories/{slug}/events", events, methods=["GET"]),
        Route("/api/stories/{slug}/desk/events", desk_events, methods=["GET"]),
        *api.routes,
        *openapi.routes,
        *feeds.routes,
        *uploads.routes,
        *metrics.routes,
        *editor.routes,
        *workflow.routes,
        *follow.routes,
        *polls.routes,
        *callouts.routes,
        *desk_chat.routes,
    ]
    app = Liveblog(
        routes=routes,
        lifespan=lifespan,
        # Pages go out compressed (event streams are excluded by content type, and
        # readers' streams, cached pages and static files never pass through middleware).
        # Every body is capped before it is read, whichever route reads it (inputs.BodyLimit).
        middleware=[Middleware(GZipMiddleware, minimum_size=1024), Middleware(BodyLimit)],
        exception_handlers={HTTPException: handle_http_exception, **EXCEPTION_HANDLERS},
    )
    app.state.services = services
    app.streams = {False: events, True: desk_events}
    app.pages = pages
    app.assets = shipped()
    return app


def demo_app(every: float | None = None) -> Starlette:
    """The app with `liveblog demo`'s story, played one step every `every` seconds."""
    from functools import partial

    from . import demo

    play = partial(demo.play, every=every or demo.EVERY_SECONDS)
    return create_app(background=[play], prepare=demo.prepare)
