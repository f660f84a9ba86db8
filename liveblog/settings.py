"""Reading `LIVEBLOG_*` settings (environment first, then `.env`) into one frozen object."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from . import i18n


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the key."""


BROADCAST_SCHEMES = ("memory", "postgresql", "postgres", "redis", "rediss", "sqlite")

Networks = tuple[IPv4Network | IPv6Network, ...]
LOOPBACK: Networks = (ip_network("127.0.0.0/8"), ip_network("::1/128"))


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///liveblog.db"
    broadcast_url: str = "memory://"
    secret_key: str = ""
    public_url: str = ""
    media_dir: Path = Path("media")
    # Images readers send with their answers, for editors only until one is published
    # (then copied into media_dir). Never served to readers; by default beside media_dir.
    reader_media_dir: Path = Path("media-from-readers")
    metrics_token: str = ""  # when set, /metrics answers anyone with it; else only localhost
    # How long failed logins are remembered (and a throttled name or address refused).
    login_window_seconds: float = 900.0
    # A JSON list of oEmbed providers used instead of the shipped one (see embeds.py).
    oembed_providers: Path | None = None
    # Who push services may contact about our pushes (VAPID `sub`): a mailto: or https: URL.
    push_contact: str = ""
    # Live streams one client address may hold open per process (0: no limit); see
    # stream_limit.py. Far above what one browser opens (6 per site), so that many
    # readers behind one NAT still get in.
    max_streams_per_address: int = 256
    stream_limit_exempt: Networks = LOOPBACK
    # Desk streams (the queue of drafts) one login or token may hold open per process, and
    # one address (0: no limit): a few desks in a few tabs each.
    max_desk_streams: int = 16
    # GRIP engines (Pushpin nodes, Fastly Fanout) that hold readers' streams: each one's
    # publish URL with its key, comma-separated (see grip.py); empty: streams are held here.
    grip_url: str = ""
    # Where pushes may go (push_targets.py): a JSON list of push services' hosts used
    # instead of the shipped one, and networks outside the public internet that pushes may
    # still reach (a push relay inside your own network; default none).
    push_services: Path | None = None
    push_private_networks: Networks = ()
    # Push subscriptions one client address may hold (the loopback exemption above applies),
    # and one story may have; past either, 429.
    max_subscriptions_per_address: int = 100
    max_subscriptions_per_story: int = 100_000
    # Votes in polls one client address may cast a minute, per process (the loopback
    # exemption above applies; 0: no limit). Room for a newsroom or an office behind one NAT.
    max_votes_per_address: int = 60
    # Answers to callouts and readers' questions one client address may send a minute, per
    # process (the same exemption; 0: no limit), and the days they are kept before they are
    # deleted, contact details and all.
    max_submissions_per_address: int = 5
    submission_days: int = 30
    # The language of pages whose story names none, and of the index (see i18n.py).
    language: str = "en"
    # The publisher's logo in the story page's structured data (an http(s) URL; empty:
    # the shipped static/logo.png).
    publisher_logo: str = ""
    # How often each process writes what it has open of each story (audience.py); a
    # process silent for three of these counts for nothing.
    audience_seconds: float = 5.0

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @classmethod
    def load(cls, env: dict[str, str] | None = None, env_file: str | Path = ".env") -> "Settings":
        """Environment wins over `.env`, which wins over the defaults."""
        values: dict[str, str] = {}
        if env_file and Path(env_file).is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if env is None else env)

        def get(name: str, default: str) -> str:
            return values.get(f"LIVEBLOG_{name}", default).strip() or default

        database_url = _database_url(get("DATABASE_URL", cls.database_url))
        # One setting scales out: on PostgreSQL the database carries the notices too
        # (LISTEN/NOTIFY) unless another broadcast is named.
        default_broadcast = cls.broadcast_url
        if database_url.startswith("postgresql"):
            default_broadcast = "postgresql://" + database_url.split("://", 1)[1]
        broadcast_url = get("BROADCAST_URL", default_broadcast)
        scheme = urlsplit(broadcast_url).scheme
        if scheme not in BROADCAST_SCHEMES:
            raise SettingsError(
                f"LIVEBLOG_BROADCAST_URL: unknown scheme {scheme!r} in {broadcast_url!r}; "
                "use memory://, postgresql://…, redis://… or the sqlite:///… database file"
            )
        public_url = get("PUBLIC_URL", "").rstrip("/")
        if public_url and urlsplit(public_url).scheme not in ("http", "https"):
            raise SettingsError(f"LIVEBLOG_PUBLIC_URL: {public_url!r} must start with http:// or https://")
        secret_key = get("SECRET_KEY", "")
        if not secret_key:
            secret_key = _local_secret(values)
        window = get("LOGIN_WINDOW_SECONDS", str(cls.login_window_seconds))
        try:
            login_window_seconds = float(window)
        except ValueError:
            raise SettingsError(f"LIVEBLOG_LOGIN_WINDOW_SECONDS: {window!r} is not a number of seconds") from None
        if login_window_seconds <= 0:
            raise SettingsError(f"LIVEBLOG_LOGIN_WINDOW_SECONDS: {window!r} must be more than 0")
        audience_seconds = _seconds("AUDIENCE_SECONDS", get("AUDIENCE_SECONDS", str(cls.audience_seconds)))
        oembed_providers = get("OEMBED_PROVIDERS", "")
        if oembed_providers:
            from .embeds import load

            _check("OEMBED_PROVIDERS", lambda: load(Path(oembed_providers)))
        push_contact = get("PUSH_CONTACT", "")
        if push_contact and urlsplit(push_contact).scheme not in ("mailto", "https"):
            raise SettingsError(f"LIVEBLOG_PUSH_CONTACT: {push_contact!r} must be a mailto: or https:// URL")
        grip_url = get("GRIP_URL", "")
        if grip_url:
            from .grip import engines

            _check("GRIP_URL", lambda: engines(grip_url))
        push_services = get("PUSH_SERVICES", "")
        if push_services:
            from .push_targets import load as load_push_services

            _check("PUSH_SERVICES", lambda: load_push_services(Path(push_services)))
        language = get("LANGUAGE", cls.language)
        try:
            language = i18n.known(language)
        except i18n.UnknownLanguage as exc:
            raise SettingsError(f"LIVEBLOG_LANGUAGE: {exc}") from None
        publisher_logo = get("PUBLISHER_LOGO", "")
        if publisher_logo and urlsplit(publisher_logo).scheme not in ("http", "https"):
            raise SettingsError(f"LIVEBLOG_PUBLISHER_LOGO: {publisher_logo!r} must be an http:// or https:// URL")
        media_dir = Path(get("MEDIA_DIR", str(cls.media_dir)))
        return cls(
            database_url=database_url,
            publisher_logo=publisher_logo,
            broadcast_url=broadcast_url,
            secret_key=secret_key,
            public_url=public_url,
            media_dir=media_dir,
            reader_media_dir=Path(get("READER_MEDIA_DIR", str(media_dir.parent / f"{media_dir.name}-from-readers"))),
            metrics_token=get("METRICS_TOKEN", ""),
            login_window_seconds=login_window_seconds,
            audience_seconds=audience_seconds,
            oembed_providers=Path(oembed_providers) if oembed_providers else None,
            push_contact=push_contact,
            max_streams_per_address=_whole_number("MAX_STREAMS_PER_ADDRESS", get("MAX_STREAMS_PER_ADDRESS", "256")),
            language=language,
            stream_limit_exempt=_networks("STREAM_LIMIT_EXEMPT", get("STREAM_LIMIT_EXEMPT", "127.0.0.0/8,::1")),
            max_desk_streams=_whole_number("MAX_DESK_STREAMS", get("MAX_DESK_STREAMS", str(cls.max_desk_streams))),
            grip_url=grip_url,
            push_services=Path(push_services) if push_services else None,
            push_private_networks=_networks("PUSH_PRIVATE_NETWORKS", get("PUSH_PRIVATE_NETWORKS", "none")),
            max_subscriptions_per_address=_whole_number(
                "MAX_SUBSCRIPTIONS_PER_ADDRESS", get("MAX_SUBSCRIPTIONS_PER_ADDRESS", "100")),
            max_subscriptions_per_story=_whole_number(
                "MAX_SUBSCRIPTIONS_PER_STORY", get("MAX_SUBSCRIPTIONS_PER_STORY", "100000")),
            max_votes_per_address=_whole_number("MAX_VOTES_PER_ADDRESS", get("MAX_VOTES_PER_ADDRESS", "60")),
            max_submissions_per_address=_whole_number(
                "MAX_SUBMISSIONS_PER_ADDRESS", get("MAX_SUBMISSIONS_PER_ADDRESS", "5")),
            submission_days=_whole_number("SUBMISSION_DAYS", get("SUBMISSION_DAYS", "30")),
        )


def _check(name: str, load) -> None:
    """Read what a setting names now (a data file, a URL), so a bad one is one clear line at start-up."""
    try:
        load()
    except ValueError as exc:
        raise SettingsError(f"LIVEBLOG_{name}: {exc}") from None


def _seconds(name: str, raw: str) -> float:
    try:
        seconds = float(raw)
    except ValueError:
        raise SettingsError(f"LIVEBLOG_{name}: {raw!r} is not a number of seconds") from None
    if not 0 < seconds <= 3600:
        raise SettingsError(f"LIVEBLOG_{name}: {raw!r} must be more than 0 and at most 3600")
    return seconds


def _whole_number(name: str, raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()):
        raise SettingsError(f"LIVEBLOG_{name}: {raw!r} is not a whole number")
    return int(raw)


def _networks(name: str, raw: str) -> Networks:
    """Comma-separated addresses or networks (`10.0.0.0/8`); `none` for an empty list."""
    if raw.lower() == "none":
        return ()
    try:
        return tuple(ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise SettingsError(f"LIVEBLOG_{name}: {exc}") from None


def _database_url(url: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme.startswith("sqlite"):
        return url
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        # One driver for every PostgreSQL URL: psycopg 3.
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    raise SettingsError(
        f"LIVEBLOG_DATABASE_URL: unsupported database {url!r}; use sqlite:///path or postgresql://…"
    )


def _local_secret(values: dict[str, str]) -> str:
    """A secret kept beside the database, so sessions survive a restart on a laptop.

    Production sets LIVEBLOG_SECRET_KEY; several processes on one machine share this file.
    """
    path = Path(values.get("LIVEBLOG_SECRET_FILE", ".liveblog-secret"))
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(key)
        return key
