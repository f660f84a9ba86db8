"""Passwords, write-API tokens, desk sessions, CSRF and login throttling."""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from anyio import to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, TimestampSigner
from starlette.requests import Request
from starlette.responses import Response

from .errors import Forbidden, TooManyAttempts, Unauthorized
from .i18n import Message
from .models import Editor
from .newsroom import Author
from .settings import Settings
from .store import Store

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def token_author(request: Request, store: Store) -> Author:
    """The owner of the request's Bearer token; 401 without a valid one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("This call needs an 'Authorization: Bearer <token>' header.")
    owner = await to_thread.run_sync(store.token_owner, token.strip())
    if owner is None:
        raise Unauthorized("That token is not valid.")
    return Author(owner.name, owner.role, owner.display_name)


# -- desk sessions ------------------------------------------------------------
#
# The cookie holds only the session's id, signed; the row (editor, CSRF token) lives in
# the database, so logging out ends the session on the server whatever the browser keeps.

SESSION_COOKIE = "liveblog_session"
LOGIN_COOKIE = "liveblog_login"
SESSION_MAX_AGE = timedelta(days=7)
LOGIN_FORM_MAX_AGE = 3600  # seconds a login form stays usable
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class DeskSession:
    """A logged-in editor, with the CSRF token every change they send must carry."""

    id: str
    editor: Author
    csrf: str
    editor_id: int = 0


def _signer(settings: Settings, purpose: str) -> TimestampSigner:
    return TimestampSigner(settings.secret_key, salt=f"liveblog.{purpose}")


def verify_login(store: Store, name: str, password: str) -> Editor | None:
    """The editor when the password is theirs.

    An unknown name is answered without hashing: editors' names are public (they sign
    every update), so the timing gives nothing away, and the throttle counts it the same.
    """
    editor = store.get_editor(name)
    return editor if editor and check_password(editor.password_hash, password) else None


def set_cookie(response: Response, settings: Settings, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies
    )


def start_session(response: Response, settings: Settings, store: Store, editor: Editor, replaces: str | None) -> None:
    session = store.create_session(editor.id, SESSION_MAX_AGE, replaces)
    value = _signer(settings, "session").sign(session.id).decode()
    set_cookie(response, settings, SESSION_COOKIE, value, int(SESSION_MAX_AGE.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path="/")


def session_id(request: Request, settings: Settings) -> str | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        return _signer(settings, "session").unsign(raw, max_age=SESSION_MAX_AGE.total_seconds()).decode()
    except BadSignature:
        return None


async def desk_session(request: Request, settings: Settings, store: Store) -> DeskSession | None:
    """The request's live session, or None (no cookie, a forged one, or one logged out)."""
    sid = session_id(request, settings)
    if sid is None:
        return None
    found = await to_thread.run_sync(store.session_editor, sid, SESSION_MAX_AGE)
    if found is None:
        return None
    session, editor = found
    return DeskSession(session.id, Author(editor.name, editor.role, editor.display_name), session.csrf, editor.id)


async def session_or_token_author(request: Request, settings: Settings, store: Store) -> Author:
    """The Bearer token's owner or, without that header, the desk session's editor; 401 with neither.

    For reads only: the desk's own page opens the queue's stream with an EventSource, which
    cannot send a header but does send the session cookie (SameSite=Lax keeps it off other
    sites' requests). A change still needs a token, or a session and its CSRF token.
    """
    if request.headers.get("authorization"):
        return await token_author(request, store)
    session = await desk_session(request, settings, store)
    if session is None:
        raise Unauthorized("This call needs an 'Authorization: Bearer <token>' header or a desk session.")
    return session.editor


def check_csrf(expected: str, request: Request, form: Mapping[str, Any] | None) -> None:
    """Refuse (403) a change whose token, from the header or the form, is not the session's."""
    sent = request.headers.get(CSRF_HEADER) or (form or {}).get(CSRF_FIELD) or ""
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden(Message("This form has expired or did not come from the desk; reload the page and try again."))


# The login form has no session yet. It carries a token bound to a random value in its own
# short-lived cookie (double submit, signed), so another site cannot log a browser in.


def login_form(request: Request, settings: Settings) -> tuple[str, str]:
    """(nonce, token) for a fresh login form: the nonce goes in LOGIN_COOKIE, the token in the form."""
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(16)
    return nonce, _signer(settings, "login").sign(nonce).decode()


def check_login_form(request: Request, token: str, settings: Settings) -> None:
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    try:
        signed = _signer(settings, "login").unsign(token, max_age=LOGIN_FORM_MAX_AGE).decode()
    except BadSignature:
        signed = None
    if not nonce or signed is None or not hmac.compare_digest(signed.encode(), nonce.encode()):
        raise Forbidden(Message("This login form has expired; reload the page and log in again."))


# -- login throttling ---------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    slow_after: int  # failures in the window after which every attempt waits SLOW_SECONDS
    refuse_after: int | None  # failures in the window after which attempts are refused (429); None: never


class LoginThrottle:
    """Failed logins per (name, address), per name and per address, remembered for a window.

    Refusing is only ever by who is asking: a name from one address, or one address for
    every name. A name on its own is only slowed, since names are public (bylines) and
    failures from anywhere else must not lock its editor out: the right password from
    another address still gets in, a second later.

    An attempt counts as failed from the moment it starts and is taken back only when
    the password proves right, so firing many attempts at once gains nothing. Refused
    attempts are not counted: once the window has passed, the right password works.
    Kept in this process's memory: with several processes each keeps its own count.
    """

    PAIR = Limit(slow_after=3, refuse_after=6)
    NAME = Limit(slow_after=3, refuse_after=None)
    # One newsroom often shares one address, so it gets more room than a single name.
    ADDRESS = Limit(slow_after=10, refuse_after=20)
    SLOW_SECONDS = 1.0
    MAX_KEYS = 10_000

    def __init__(self, window_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.window = window_seconds
        self.clock = clock
        self._failures: dict[tuple[str, ...], deque[float]] = {}

    def _recent(self, key: tuple[str, ...], now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    @staticmethod
    def _keys(name: str, address: str) -> tuple[tuple[str, ...], ...]:
        name = name.strip().casefold()
        return ("pair", name, address), ("name", name), ("address", address)

    def attempt(self, name: str, address: str) -> tuple[float, float]:
        """Start an attempt: its delay in seconds and its token for `succeeded`.

        Raises TooManyAttempts when this name from this address, or this address, is over its limit.
        """
        now = self.clock()
        if len(self._failures) > self.MAX_KEYS:
            for key in list(self._failures):
                self._recent(key, now)
        keys = self._keys(name, address)
        delay = 0.0
        for key, limit in zip(keys, (self.PAIR, self.NAME, self.ADDRESS)):
            times = self._recent(key, now)
            if limit.refuse_after is not None and len(times) >= limit.refuse_after:
                raise TooManyAttempts(int(times[0] + self.window - now) + 1)
            if len(times) >= limit.slow_after:
                delay = self.SLOW_SECONDS
        for key in keys:
            self._failures.setdefault(key, deque()).append(now)
        return delay, now

    def succeeded(self, name: str, address: str, token: float) -> None:
        """The password was right: forget the name's failures and take this attempt back."""
        pair, by_name, by_address = self._keys(name, address)
        self._failures.pop(pair, None)
        self._failures.pop(by_name, None)
        times = self._failures.get(by_address)
        if times is not None and token in times:
            times.remove(token)
