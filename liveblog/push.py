"""Web Push to a story's followers: what a push says, the server's VAPID keys, and the sender.

A push is owed when a key event is published or the story closes. The store writes a
`PushJob` in that event's own transaction (see `Store._owe_push`); `run` — one task per
process — claims jobs with a conditional UPDATE, so each is sent by exactly one process,
and a job whose claimer died mid-send is taken up again after `STALE_AFTER`.
Payloads are encrypted for each subscriber (RFC 8291, aes128gcm) and signed with VAPID
(RFC 8292) by pywebpush; the VAPID key pair is made once and kept in the database.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .events import ReaderEvent, StoryChanged, UpdateEdited, UpdatePosted
from .models import Story, utcnow
from .render import plain_excerpt

if TYPE_CHECKING:
    from .store import Store
    from .web.common import Services

log = logging.getLogger("liveblog.push")

POLL_SECONDS = 1.0
STALE_AFTER = timedelta(minutes=5)
SEND_TIMEOUT = 10
VAPID_KEY = "vapid"
GONE = (404, 410)  # the push service says the subscription has ended


def message(event: "ReaderEvent", story: Story | None) -> dict[str, str] | None:
    """What followers are told of an event, or None when it is not one they follow."""
    if story is None:
        return None
    if isinstance(event, UpdatePosted) and not isinstance(event, UpdateEdited) and event.key_event:
        return {
            "title": story.title,
            "body": event.headline or plain_excerpt(event.body_html),
            "url": f"/stories/{story.slug}#update-{event.id}",
            "tag": f"liveblog-{story.slug}",
        }
    if isinstance(event, StoryChanged) and event.closes:
        return {
            "title": story.title,
            "body": "This story has closed: there will be no more updates.",
            "url": f"/stories/{story.slug}",
            "tag": f"liveblog-{story.slug}",
        }
    return None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _new_private_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def vapid_private_pem(store: "Store") -> str:
    return store.server_key(VAPID_KEY, _new_private_pem)


def vapid_public_key(store: "Store") -> str:
    """The applicationServerKey browsers subscribe with: the uncompressed P-256 point, base64url."""
    key = serialization.load_pem_private_key(vapid_private_pem(store).encode(), password=None)
    return _b64(key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


class Sender:
    """Sends claimed jobs to every subscriber of their story, in a worker thread."""

    def __init__(self, services: "Services"):
        from py_vapid import Vapid

        self.store = services.store
        self.vapid = Vapid.from_pem(vapid_private_pem(self.store).encode())
        base = services.settings.public_url
        self.contact = services.settings.push_contact or (base if base.startswith("https://") else "mailto:liveblog@localhost")
        self.base = base
        self.sent = 0

    def send_due(self) -> int:
        now = utcnow()
        jobs = self.store.claim_push_jobs(now, now - STALE_AFTER)
        for job in jobs:
            payload = json.loads(job.payload)
            if self.base:
                payload["url"] = self.base + payload["url"]
            body = json.dumps(payload, ensure_ascii=False)
            for sub in self.store.subscriptions(job.story_id):
                self._send(sub, body)
            self.store.finish_push_job(job.id)
        return len(jobs)

    def _send(self, sub, body: str) -> None:
        from pywebpush import WebPushException, webpush

        info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
        try:
            webpush(info, body, vapid_private_key=self.vapid, vapid_claims={"sub": self.contact},
                    timeout=SEND_TIMEOUT, ttl=3600)
            self.sent += 1
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in GONE:
                self.store.forget_subscription(sub.id)
            else:
                log.warning("push to %s failed: %s", sub.endpoint[:60], str(exc).splitlines()[0])
        except Exception as exc:  # an unreachable push service must not stop the others
            log.warning("push to %s failed: %s", sub.endpoint[:60], exc)


async def run(services: "Services") -> None:
    """The push task of one server process."""
    from anyio import to_thread

    sender = None
    while True:
        try:
            sender = sender or await to_thread.run_sync(Sender, services)
            await to_thread.run_sync(sender.send_due)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sending pushes failed; will retry")
        await asyncio.sleep(POLL_SECONDS)
