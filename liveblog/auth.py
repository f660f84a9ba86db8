"""Passwords, write-API tokens (and, with the desk, sessions, CSRF and login throttling)."""

from __future__ import annotations

from dataclasses import dataclass

from anyio import to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.requests import Request

from .errors import Forbidden, Unauthorized
from .store import Store

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Author:
    """Who is writing: their display name and role (editor or contributor)."""

    name: str
    role: str

    @property
    def is_editor(self) -> bool:
        return self.role == "editor"


def require_editor(author: Author, doing: str) -> Author:
    """Contributors write drafts; everything readers would see at once is an editor's call (403)."""
    if not author.is_editor:
        raise Forbidden(f"Only an editor can {doing}; a contributor's posts go to the desk as drafts.")
    return author


async def token_author(request: Request, store: Store) -> Author:
    """The owner of the request's Bearer token; 401 without a valid one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("This call needs an 'Authorization: Bearer <token>' header.")
    owner = await to_thread.run_sync(store.token_owner, token.strip())
    if owner is None:
        raise Unauthorized("That token is not valid.")
    return Author(owner.name, owner.role)
