"""Migration 0006 (revisions, bylines, corrections, display names) on SQLite and on
PostgreSQL: it upgrades a database holding updates written before it, matches the models,
and goes down and up again."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from backing_services import postgres_database
from liveblog import db
from liveblog.store import Store

NEW = {"revision", "byline", "edited_by", "correction", "corrected_at", "display_name",
       "ix_revision_update_id", "uq_revision_update_number"}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    with postgres_database("migrations") as url:
        yield url


def differences_in_0006(engine) -> list:
    """What the models say of 0006's tables and columns that the migrated schema does not."""
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    return [d for d in diffs if any(name in repr(d) for name in NEW)]


def test_0006_upgrades_old_updates_matches_the_models_and_goes_down_and_up(database_url):
    engine = db.make_engine(database_url)
    config = db.alembic_config(engine)
    try:
        command.upgrade(config, "0005_story_language")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO story (slug, title, summary, status, caption, credit, created_at) "
                              "VALUES ('old', 'Old', '', 'live', '', '', CURRENT_TIMESTAMP)"))
            conn.execute(text(
                'INSERT INTO "update" (story_id, body, body_html, headline, author, status, created_at, '
                "key_event, pinned) SELECT id, 'Before', '<p>Before</p>', '', 'alice', 'published', "
                "CURRENT_TIMESTAMP, false, false FROM story WHERE slug = 'old'"))
        command.upgrade(config, "head")
        assert differences_in_0006(engine) == []

        store = Store(engine)
        (old,), _ = store.list_updates("old")
        assert (old.shown_author, old.byline, old.correction, old.corrected_at) == ("alice", "", "", None)
        store.edit_update("old", old.id, editor="nadia", editor_byline="Nadia Editor", body="After",
                          correction="Fixed a word.")
        _, revisions = store.revisions("old", old.id)
        assert [(r.number, r.body) for r in revisions] == [(1, "Before")]

        command.downgrade(config, "0005_story_language")
        command.upgrade(config, "head")
        assert differences_in_0006(engine) == []
    finally:
        engine.dispose()


def test_0008_makes_the_audience_tables_as_the_models_say_and_goes_down_and_up(database_url):
    engine = db.make_engine(database_url)
    config = db.alembic_config(engine)
    new = ("audiencebeat", "audienceminute")

    def differences() -> list:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        return [d for d in diffs if any(name in repr(d) for name in new)]

    try:
        command.upgrade(config, "head")
        assert differences() == []
        command.downgrade(config, "0007_update_deleted_at")
        with engine.connect() as conn:
            tables = set(conn.dialect.get_table_names(conn))
        assert not tables & set(new)
        command.upgrade(config, "head")
        assert differences() == []
    finally:
        engine.dispose()


def test_head_names_the_newest_migration_and_a_database_at_it_is_left_alone(tmp_path):
    """`db.upgrade` skips alembic on a database already at `db.HEAD`, so HEAD must name
    alembic's head: a new migration that forgets it would otherwise never run."""
    from alembic.script import ScriptDirectory

    engine = db.make_engine(f"sqlite:///{tmp_path / 'head.db'}")
    try:
        assert ScriptDirectory.from_config(db.alembic_config(engine)).get_current_head() == db.HEAD
        assert db.revision(engine) is None
        db.upgrade(engine)
        assert db.revision(engine) == db.HEAD
        command.downgrade(db.alembic_config(engine), "0010_callouts_desk_chat")
        db.upgrade(engine)  # a database behind HEAD is upgraded
        assert db.revision(engine) == db.HEAD
        with engine.connect() as conn:
            assert "syndicationlink" in set(conn.dialect.get_table_names(conn))
    finally:
        engine.dispose()
