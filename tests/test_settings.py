"""Each `LIVEBLOG_*` setting: its default, its parsing, and the one line that names it when
it is wrong (the CLI prints that line; test_cli.py checks a few end to end)."""

from __future__ import annotations

import os
from ipaddress import ip_network
from pathlib import Path

import pytest

from liveblog.settings import LOOPBACK, Settings, SettingsError


def load(tmp_path: Path, **values: str) -> Settings:
    """Settings from these values alone, with the local secret file kept in `tmp_path`."""
    env = {"LIVEBLOG_SECRET_FILE": str(tmp_path / "secret"), **{f"LIVEBLOG_{k}": v for k, v in values.items()}}
    return Settings.load(env=env, env_file="")


def test_defaults(tmp_path):
    settings = load(tmp_path, SECRET_KEY="k")
    assert settings == Settings(secret_key="k")
    assert (settings.database_url, settings.broadcast_url) == ("sqlite:///liveblog.db", "memory://")
    assert settings.login_window_seconds == 900 and settings.max_streams_per_address == 256
    assert settings.stream_limit_exempt == LOOPBACK and not settings.secure_cookies


def test_the_environment_wins_over_the_dotenv_file_which_wins_over_defaults(tmp_path, monkeypatch):
    dotenv = tmp_path / ".env"
    dotenv.write_text("LIVEBLOG_PUBLIC_URL=https://from.dotenv\nLIVEBLOG_METRICS_TOKEN=dotenv-token\n")
    settings = Settings.load(env={"LIVEBLOG_METRICS_TOKEN": "env-token", "LIVEBLOG_SECRET_KEY": "k"}, env_file=dotenv)
    assert (settings.public_url, settings.metrics_token) == ("https://from.dotenv", "env-token")
    monkeypatch.setenv("LIVEBLOG_METRICS_TOKEN", "process-token")
    monkeypatch.setenv("LIVEBLOG_SECRET_KEY", "k")
    assert Settings.load(env_file=dotenv).metrics_token == "process-token"  # no env given: the process's


def test_blank_values_mean_the_default(tmp_path):
    assert load(tmp_path, SECRET_KEY="k", DATABASE_URL="  ", LOGIN_WINDOW_SECONDS="").login_window_seconds == 900
    assert load(tmp_path, SECRET_KEY="k", DATABASE_URL="  ").database_url == "sqlite:///liveblog.db"


def test_postgresql_urls_use_psycopg_and_carry_the_broadcast_unless_another_is_named(tmp_path):
    for given in ("postgresql://db/news", "postgres://db/news", "postgresql+psycopg://db/news"):
        settings = load(tmp_path, SECRET_KEY="k", DATABASE_URL=given)
        assert settings.database_url == "postgresql+psycopg://db/news"
        assert settings.broadcast_url == "postgresql://db/news"
    named = load(tmp_path, SECRET_KEY="k", DATABASE_URL="postgresql://db/news", BROADCAST_URL="redis://cache:6379/0")
    assert named.broadcast_url == "redis://cache:6379/0"


def test_the_public_url_loses_its_slash_and_https_makes_cookies_secure(tmp_path):
    settings = load(tmp_path, SECRET_KEY="k", PUBLIC_URL="https://news.example/")
    assert settings.public_url == "https://news.example" and settings.secure_cookies


def test_numbers_networks_paths_and_contacts(tmp_path):
    settings = load(tmp_path, SECRET_KEY="k", LOGIN_WINDOW_SECONDS="2.5", MAX_STREAMS_PER_ADDRESS="0",
                    STREAM_LIMIT_EXEMPT="10.0.0.0/8, 192.0.2.7", MEDIA_DIR="/srv/media", PUSH_CONTACT="mailto:desk@news.example")
    assert settings.login_window_seconds == 2.5 and settings.max_streams_per_address == 0
    assert settings.stream_limit_exempt == (ip_network("10.0.0.0/8"), ip_network("192.0.2.7/32"))
    assert settings.media_dir == Path("/srv/media") and settings.push_contact == "mailto:desk@news.example"
    assert load(tmp_path, SECRET_KEY="k", STREAM_LIMIT_EXEMPT="None").stream_limit_exempt == ()


def test_an_oembed_provider_file_is_read_at_load(tmp_path):
    providers = tmp_path / "providers.json"
    providers.write_text('[{"name": "Standin", "urls": ["^https://standin\\\\.example/"], "oembed": "https://standin.example/o"}]')
    assert load(tmp_path, SECRET_KEY="k", OEMBED_PROVIDERS=str(providers)).oembed_providers == providers


def test_without_a_secret_key_one_is_made_once_and_kept_beside_the_database(tmp_path):
    first = load(tmp_path)
    assert len(first.secret_key) >= 32 and (tmp_path / "secret").read_text() == first.secret_key
    assert os.stat(tmp_path / "secret").st_mode & 0o077 == 0  # readable by its owner only
    assert load(tmp_path).secret_key == first.secret_key


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("DATABASE_URL", "mysql://x/y", "LIVEBLOG_DATABASE_URL: unsupported database 'mysql://x/y'"),
        ("BROADCAST_URL", "carrier-pigeon://x", "LIVEBLOG_BROADCAST_URL: unknown scheme 'carrier-pigeon'"),
        ("PUBLIC_URL", "ftp://example.com", "LIVEBLOG_PUBLIC_URL: 'ftp://example.com' must start with http:// or https://"),
        ("LOGIN_WINDOW_SECONDS", "soon", "LIVEBLOG_LOGIN_WINDOW_SECONDS: 'soon' is not a number of seconds"),
        ("LOGIN_WINDOW_SECONDS", "-1", "LIVEBLOG_LOGIN_WINDOW_SECONDS: '-1' must be more than 0"),
        ("LOGIN_WINDOW_SECONDS", "0", "LIVEBLOG_LOGIN_WINDOW_SECONDS: '0' must be more than 0"),
        ("MAX_STREAMS_PER_ADDRESS", "many", "LIVEBLOG_MAX_STREAMS_PER_ADDRESS: 'many' is not a whole number"),
        ("MAX_STREAMS_PER_ADDRESS", "-3", "LIVEBLOG_MAX_STREAMS_PER_ADDRESS: '-3' is not a whole number"),
        ("STREAM_LIMIT_EXEMPT", "10.0.0.0/33", "LIVEBLOG_STREAM_LIMIT_EXEMPT:"),
        ("OEMBED_PROVIDERS", "/no/such/providers.json", "LIVEBLOG_OEMBED_PROVIDERS: cannot read oEmbed providers from /no/such/providers.json"),
        ("PUSH_CONTACT", "desk@news.example", "LIVEBLOG_PUSH_CONTACT: 'desk@news.example' must be a mailto: or https:// URL"),
    ],
)
def test_a_bad_value_is_one_line_naming_its_setting(tmp_path, name, value, message):
    with pytest.raises(SettingsError) as bad:
        load(tmp_path, SECRET_KEY="k", **{name: value})
    text = str(bad.value)
    assert text.startswith(message) and "\n" not in text
