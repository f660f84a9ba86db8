"""Following a story: Web Push subscriptions (its key-events feed is in `feeds.py`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import push, push_targets
from ..errors import Invalid, UnsupportedMediaType
from ..i18n import Message
from ..inputs import SubscriptionIn, UnsubscribeIn, parse, read_body
from .common import blocking, services
from .from_readers import client_address


def _json_body(request: Request) -> None:
    # A JSON content type cannot be sent cross-site without a CORS preflight, which we do
    # not grant: another site cannot subscribe or unsubscribe a reader behind their back.
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise UnsupportedMediaType("Send the subscription as application/json.")


async def subscribe(request: Request) -> Response:
    """Keep a browser's push subscription: it is told of key events and the close.

    Only an endpoint at a known push service is kept (push_targets.py); an address, and a
    story, may hold only so many subscriptions (429 past either).
    """
    _json_body(request)
    data = parse(SubscriptionIn, await read_body(request))
    svc = services(request)
    settings = svc.settings
    try:
        push_targets.target(data.endpoint, push_targets.load(settings.push_services))
    except push_targets.NotAPushService as exc:
        raise Invalid({"endpoint": str(exc)}) from None
    story = await blocking(svc.store.get_story, request.path_params["slug"])
    if story.status != "live":
        raise Invalid({"story": Message("This story has closed; there is nothing more to be told of.")})
    await blocking(
        svc.store.subscribe, story.slug, data.endpoint, data.keys.p256dh, data.keys.auth,
        address=client_address(request),
        per_address=settings.max_subscriptions_per_address, per_story=settings.max_subscriptions_per_story,
    )
    return JSONResponse({"story": story.slug, "endpoint": data.endpoint}, status_code=201)


async def unsubscribe(request: Request) -> Response:
    _json_body(request)
    data = parse(UnsubscribeIn, await read_body(request))
    await blocking(services(request).store.unsubscribe, request.path_params["slug"], data.endpoint)
    return Response(status_code=204)


async def push_key(request: Request) -> Response:
    """The server's VAPID public key, which browsers subscribe with."""
    key = await blocking(push.vapid_public_key, services(request).store)
    return JSONResponse({"publicKey": key}, headers={"Cache-Control": "public, max-age=3600"})


routes = [
    Route("/stories/{slug}/subscriptions", subscribe, methods=["POST"]),
    Route("/stories/{slug}/subscriptions", unsubscribe, methods=["DELETE"]),
    Route("/push/key", push_key, methods=["GET"]),
]
