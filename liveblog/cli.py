"""`liveblog serve / demo / create-editor / create-token / db upgrade`: parse, wire, run."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError

from . import db
from .newsroom import EDITOR, ROLES
from .settings import Settings, SettingsError
from .store import Store


class UsageError(Exception):
    """A start-up problem, told as one line."""


def _settings() -> Settings:
    try:
        return Settings.load()
    except SettingsError as exc:
        raise UsageError(str(exc)) from None


def _store(settings: Settings, upgrade: bool = True) -> Store:
    engine = db.make_engine(settings.database_url)
    try:
        if upgrade:
            db.upgrade(engine)
        return Store(engine)
    except SQLAlchemyError as exc:
        where = urlsplit(settings.database_url)
        raise UsageError(
            f"cannot use the database {where.scheme}://{where.hostname or ''}{where.path}: {exc.__class__.__name__}: "
            f"{str(exc.orig if hasattr(exc, 'orig') else exc).strip().splitlines()[0]}"
        ) from None


def serve(args: argparse.Namespace, demo: bool = False) -> None:
    import uvicorn

    settings = _settings()
    if args.workers > 1 and urlsplit(settings.broadcast_url).scheme == "memory":
        if not settings.database_url.startswith("sqlite"):
            raise UsageError(
                "--workers needs a shared broadcast so every worker sees every event: "
                "set LIVEBLOG_BROADCAST_URL to a postgresql:// or redis:// URL (or leave it unset)"
            )
        # Workers sharing one SQLite file learn of each other's events by watching its
        # log (broadcast/sqlite.py); they read their settings from this environment.
        os.environ["LIVEBLOG_BROADCAST_URL"] = settings.database_url
    _store(settings)  # creates or upgrades the schema once, before any worker starts
    if demo:
        print(f"Liveblog demo: open http://{args.host}:{args.port}/ (a sample story is being updated live)", flush=True)
    uvicorn.run(
        "liveblog.app:demo_app" if demo else "liveblog.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


def create_editor(args: argparse.Namespace) -> None:
    from .auth import hash_password

    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.name}: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        raise UsageError("the password must be at least 8 characters")
    _store(_settings()).create_editor(args.name, hash_password(password), args.role)
    print(f"Editor {args.name!r} ({args.role}) is ready to log in.")


def create_token(args: argparse.Namespace) -> None:
    token = _store(_settings()).create_token(args.name, args.role)
    print(f"A write-API token for {args.name!r} ({args.role}); keep it secret, it is shown only once:")
    print(token)


def db_upgrade(args: argparse.Namespace) -> None:
    _store(_settings())
    print("The database schema is up to date.")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="liveblog", description="A live-updating developing-story tracker.")
    commands = top.add_subparsers(dest="command", required=True)

    for name, helptext in (("serve", "run the server"), ("demo", "run the server with a sample story updated live")):
        cmd = commands.add_parser(name, help=helptext)
        cmd.add_argument("--host", default="127.0.0.1")
        cmd.add_argument("--port", type=int, default=8000)
        cmd.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
        if name == "serve":
            cmd.add_argument("--workers", type=int, default=1, help="processes, each seeing every event (several machines: set LIVEBLOG_BROADCAST_URL)")
            cmd.set_defaults(run=serve)
        else:
            cmd.set_defaults(run=lambda args: serve(args, demo=True), workers=1)

    for name, run, what in (("create-editor", create_editor, "editor"), ("create-token", create_token, "token")):
        cmd = commands.add_parser(name, help=f"create a{'n' if what == 'editor' else ''} {what}")
        cmd.add_argument("name")
        cmd.add_argument("--role", choices=ROLES, default=EDITOR)
        cmd.set_defaults(run=run)

    database = commands.add_parser("db", help="database schema")
    database.add_argument("action", choices=["upgrade"])
    database.set_defaults(run=db_upgrade)
    return top


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except UsageError as exc:
        print(f"liveblog: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        pass
