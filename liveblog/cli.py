"""`liveblog serve / demo / create-editor / create-token / create-syndication-token / db upgrade`: parse, wire, run."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values
from platformdirs import user_data_dir
from sqlalchemy.exc import SQLAlchemyError

from . import db, server_limits
from .auth import hash_password
from .errors import Invalid, StoryNotFound
from .inputs import MAX_DISPLAY_NAME
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

    if demo:
        if args.every <= 0:
            raise UsageError("--every must be a number of seconds above 0")
        data = _demo_environment()
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
    store = _store(settings)  # creates or upgrades the schema once, before any worker starts
    app, factory = "liveblog.app:create_app", True
    if demo:
        from .app import demo_app

        password = secrets.token_urlsafe(9)
        store.create_editor(DEMO_EDITOR, hash_password(password), reset=True)
        site = f"http://{args.host}:{args.port}"
        print(f"Liveblog demo: open {site}/ (a sample story is being updated live)", flush=True)
        print(f"The desk: {site}/login as {DEMO_EDITOR!r}, password {password}", flush=True)
        if data is not None:
            print(f"Its files are in {data} (set LIVEBLOG_DATABASE_URL to use another database)", flush=True)
        app, factory = demo_app(every=args.every), False
    uvicorn.run(
        app,
        factory=factory,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        # The client's address from X-Forwarded-For / X-Forwarded-Proto, trusted only from
        # the addresses in FORWARDED_ALLOW_IPS (uvicorn's default: 127.0.0.1), see README.
        proxy_headers=True,
        timeout_graceful_shutdown=10,
        # Request heads bounded in time and size without a proxy in front (server_limits.py).
        http=server_limits.PROTOCOL,
        timeout_keep_alive=server_limits.KEEP_ALIVE_SECONDS,
    )


DEMO_EDITOR = "demo"


def _demo_environment() -> Path | None:
    """Unless a database is named, the demo keeps its files in the user's data folder (not
    where a later `liveblog serve` would look); the folder, or None when one was named."""
    named = {**dotenv_values(".env"), **os.environ} if Path(".env").is_file() else dict(os.environ)
    if named.get("LIVEBLOG_DATABASE_URL"):
        return None
    data = Path(user_data_dir("liveblog")) / "demo"
    data.mkdir(parents=True, exist_ok=True)
    os.environ["LIVEBLOG_DATABASE_URL"] = f"sqlite:///{data / 'liveblog.db'}"
    os.environ.setdefault("LIVEBLOG_MEDIA_DIR", str(data / "media"))
    os.environ.setdefault("LIVEBLOG_SECRET_FILE", str(data / "secret"))
    return data


def create_editor(args: argparse.Namespace) -> None:
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.name}: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        raise UsageError("the password must be at least 8 characters")
    try:
        _store(_settings()).create_editor(args.name, hash_password(password), args.role, reset=args.reset,
                                          display_name=args.display_name)
    except Invalid as exc:
        raise UsageError(exc.errors["name"]) from None
    shown = f" (bylines: {args.display_name!r})" if args.display_name else ""
    print(f"Editor {args.name!r} ({args.role}){shown} is {'reset and ' if args.reset else ''}ready to log in.")


def create_token(args: argparse.Namespace) -> None:
    token = _store(_settings()).create_token(args.name, args.role, args.display_name or "")
    shown = f", bylines {args.display_name!r}" if args.display_name else ""
    print(f"A write-API token for {args.name!r} ({args.role}{shown}); keep it secret, it is shown only once:")
    print(token)


def create_syndication_token(args: argparse.Namespace) -> None:
    try:
        token = _store(_settings()).create_syndication_token(args.slug, args.name)
    except StoryNotFound:
        raise UsageError(f"no story {args.slug!r}") from None
    print(f"A syndication token for the story {args.slug!r}; another newsroom follows it with this "
          "(keep it secret, it is shown only once):")
    print(token)


def _display_name(value: str) -> str:
    value = " ".join(value.split())
    if len(value) > MAX_DISPLAY_NAME:
        raise argparse.ArgumentTypeError(f"at most {MAX_DISPLAY_NAME} characters")
    return value


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
            cmd.add_argument("--every", type=float, default=5.0, help="seconds between the story's steps")
            cmd.set_defaults(run=lambda args: serve(args, demo=True), workers=1)

    for name, run, what in (("create-editor", create_editor, "editor"), ("create-token", create_token, "token")):
        cmd = commands.add_parser(name, help=f"create a{'n' if what == 'editor' else ''} {what}")
        cmd.add_argument("name")
        cmd.add_argument("--role", choices=ROLES, default=EDITOR)
        cmd.add_argument("--display-name", type=_display_name, default=None,
                         help="the byline readers see (default: the name)")
        if what == "editor":
            cmd.add_argument("--reset", action="store_true", help="give an existing editor this password and role")
        cmd.set_defaults(run=run)

    cmd = commands.add_parser("create-syndication-token", help="let another instance follow a story")
    cmd.add_argument("slug")
    cmd.add_argument("--name", default="", help="who it is for (kept beside its digest)")
    cmd.set_defaults(run=create_syndication_token)

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
