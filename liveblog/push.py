"""Web Push to a story's followers: what a push says, the server's VAPID keys, and the sender.

A push is owed when a key event is published or the story closes. The store writes a
`PushJob` in that event's own transaction (see `Store._owe_push`); `run` — one task per
process — claims jobs with a conditional UPDATE, so each is sent by exactly one process,
and a job whose claimer died mid-send is taken up again after `STALE_AFTER`.
Payloads are encrypted for each subscriber (RFC 8291, aes128gcm, by pywebpush) and signed
with VAPID (RFC 8292, py_vapid); the VAPID key pair is made once and kept in the database.
Where a push may be sent is `push_targets`' call; how, `Sender`'s.
"""

from __future__ import annotations

import asyncio
import base64
import enum
import json
import logging
import ssl
import time
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import httpx
from anyio import to_thread
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from . import push_targets
from .events import ReaderEvent, StoryChanged, UpdateEdited, UpdatePosted
from .models import Story, utcnow
from .render import plain_excerpt

if TYPE_CHECKING:
    from .store import Store
    from .web.common import Services

log = logging.getLogger("liveblog.push")

POLL_SECONDS = 1.0
STALE_AFTER = timedelta(minutes=5)  # well past JOB_DEADLINE: only a dead claimer's jobs go stale
SEND_TIMEOUT = 5  # seconds for one push service to answer
JOB_DEADLINE = 15  # seconds for every subscriber of one key event, sends running concurrently
SENDS_AT_ONCE = 16  # per job
JOBS_AT_ONCE = 8  # per process; each job a task, so one story's slow push services hold up no other
MAX_FAILURES = 5  # sends failed in a row before a subscription is dropped
TTL_SECONDS = 3600  # how long a push service may hold a message for a browser that is offline
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


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    FAILED = "failed"
    GONE = "gone"  # the push service says the subscription has ended (404/410)


class Sender:
    """Sends claimed jobs to every subscriber of their story.

    Each job is a task of its own, so a story whose subscribers' push services are slow
    holds up no other story; within a job, sends run concurrently (at most SENDS_AT_ONCE)
    and whatever is not done by JOB_DEADLINE is given up and counted as failed. Every send
    goes only where `push_targets` allows, to the address it checked, following no redirect.
    """

    def __init__(self, services: "Services"):
        from py_vapid import Vapid

        settings = services.settings
        self.store = services.store
        self.vapid = Vapid.from_pem(vapid_private_pem(self.store).encode())
        base = settings.public_url
        self.contact = settings.push_contact or (base if base.startswith("https://") else "mailto:liveblog@localhost")
        self.base = base
        self.allowed = push_targets.load(settings.push_services)
        self.private_networks = settings.push_private_networks
        self.tls = ssl.create_default_context()
        self.clients: dict[str, httpx.AsyncClient] = {}  # one pool per push service host
        self.running: set[asyncio.Task] = set()
        self.sent = 0

    async def take_jobs(self) -> None:
        """Claim what jobs there is room for and start sending each."""
        room = JOBS_AT_ONCE - len(self.running)
        if room <= 0:
            return
        now = utcnow()
        for job in await to_thread.run_sync(self.store.claim_push_jobs, now, now - STALE_AFTER, room):
            task = asyncio.ensure_future(self.send_job(job))
            self.running.add(task)
            task.add_done_callback(self.running.discard)

    async def send_job(self, job) -> None:
        try:
            payload = json.loads(job.payload)
            if self.base:
                payload["url"] = self.base + payload["url"]
            body = json.dumps(payload, ensure_ascii=False).encode()
            subscribers = await to_thread.run_sync(self.store.subscriptions, job.story_id)
            outcomes = await self._send_all(subscribers, body)
            ids = {kind: [sid for sid, outcome in outcomes.items() if outcome is kind] for kind in Outcome}
            await to_thread.run_sync(
                self.store.push_results, ids[Outcome.DELIVERED], ids[Outcome.FAILED], ids[Outcome.GONE], MAX_FAILURES
            )
            await to_thread.run_sync(self.store.finish_push_job, job.id)
        except asyncio.CancelledError:
            raise
        except Exception:  # the job stays claimed, and is taken up again once stale
            log.exception("sending push job %s failed", job.id)

    async def _send_all(self, subscribers: list, body: bytes) -> dict[int, Outcome]:
        slots = asyncio.Semaphore(SENDS_AT_ONCE)
        outcomes = {sub.id: Outcome.FAILED for sub in subscribers}  # what is not done in time failed

        async def one(sub) -> None:
            async with slots:
                outcomes[sub.id] = await self._send(sub, body)

        tasks = [asyncio.ensure_future(one(sub)) for sub in subscribers]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=JOB_DEADLINE)
            for task in late:
                task.cancel()
            if late:
                log.warning("%d pushes not done within %d s; given up", len(late), JOB_DEADLINE)
                await asyncio.gather(*late, return_exceptions=True)
        return outcomes

    async def _send(self, sub, body: bytes) -> Outcome:
        where = sub.endpoint[:60]
        try:
            target = push_targets.target(sub.endpoint, self.allowed)
            address = await push_targets.resolve(
                asyncio.get_running_loop(), target.host, target.port, self.private_networks
            )
        except push_targets.NotAPushService as exc:
            log.warning("push to %s not sent: %s", where, exc)
            return Outcome.FAILED
        data, headers = await to_thread.run_sync(self._encrypt, sub, body)
        parts = urlsplit(sub.endpoint)
        host = f"[{address}]" if ":" in address else address
        pinned = urlunsplit(("https", f"{host}:{target.port}", parts.path or "/", parts.query, ""))
        headers["Host"] = parts.netloc
        try:
            response = await self._client(target.host).post(
                pinned, content=data, headers=headers, extensions={"sni_hostname": target.host}
            )
        except (httpx.HTTPError, OSError, ssl.SSLError) as exc:  # unreachable: the others carry on
            log.warning("push to %s failed: %s", where, exc.__class__.__name__)
            return Outcome.FAILED
        if response.status_code in GONE:
            return Outcome.GONE
        if 200 <= response.status_code < 300:
            self.sent += 1
            return Outcome.DELIVERED
        # A redirect too: a push service has no reason to send one, so it is not followed.
        log.warning("push to %s failed: %s", where, response.status_code)
        return Outcome.FAILED

    def _encrypt(self, sub, body: bytes) -> tuple[bytes, dict[str, str]]:
        """The message encrypted for this subscriber (aes128gcm) and its VAPID headers."""
        from pywebpush import WebPusher

        info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
        encoded = WebPusher(info).encode(body, "aes128gcm")
        parts = urlsplit(sub.endpoint)
        claims = {"sub": self.contact, "aud": f"{parts.scheme}://{parts.netloc}", "exp": int(time.time()) + 12 * 3600}
        headers = {"Content-Encoding": "aes128gcm", "TTL": str(TTL_SECONDS), **self.vapid.sign(claims)}
        return encoded["body"], headers

    def _client(self, host: str) -> httpx.AsyncClient:
        if host not in self.clients:
            self.clients[host] = httpx.AsyncClient(
                verify=self.tls, trust_env=False, follow_redirects=False, timeout=SEND_TIMEOUT,
                limits=httpx.Limits(max_connections=SENDS_AT_ONCE * JOBS_AT_ONCE, max_keepalive_connections=4),
            )
        return self.clients[host]

    async def close(self) -> None:
        for task in list(self.running):
            task.cancel()
        await asyncio.gather(*self.running, return_exceptions=True)
        for client in self.clients.values():
            await client.aclose()


async def run(services: "Services") -> None:
    """The push task of one server process."""
    sender = None
    try:
        while True:
            try:
                sender = sender or await to_thread.run_sync(Sender, services)
                await sender.take_jobs()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sending pushes failed; will retry")
            await asyncio.sleep(POLL_SECONDS)
    finally:
        if sender is not None:
            await sender.close()
