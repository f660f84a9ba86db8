"""The database engine, and the schema kept by alembic migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlmodel import create_engine

from .resources import resource_dir

if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration in migrations/versions (test_migrations checks it is alembic's head).
HEAD = "0011_syndication"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # WAL lets readers read while an editor writes; IMMEDIATE makes writers queue
            # for the lock up front instead of failing to upgrade a read lock.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            write = conn.get_execution_options().get("liveblog_write")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (creating it on an empty database).

    A database already at the newest revision is known by one query, without loading
    alembic: every `liveblog` command and every start runs this, and alembic's import
    and its no-op upgrade cost half a second of CPU each time."""
    if revision(engine) == HEAD:
        return
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def revision(engine: Engine) -> str | None:
    """The schema's revision as alembic recorded it (None on a database it never touched)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
