"""extras: the desk's queue log, push subscriptions and jobs, server keys, full-text search

Revision ID: 0002_extras_workflow_search_push
Revises: 0001
Create Date: 2026-11-28 10:00:00

Search is per database: SQLite gets an FTS5 table (`update_fts`, rowid = update id) that
the store keeps in step in the same transaction as each write; PostgreSQL gets a GIN
index on the same `to_tsvector` expression the store's search query uses.
"""
from alembic import op
import nh3
import sqlalchemy as sa
import sqlmodel


revision = '0002_extras_workflow_search_push'
down_revision = '0001'
branch_labels = None
depends_on = None

# Must match Store.SEARCH_VECTOR, or PostgreSQL will not use the index.
PG_VECTOR = "to_tsvector('english', coalesce(headline, '') || ' ' || body)"


def upgrade() -> None:
    op.create_table('deskevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['story.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_deskevent_story_id_id', 'deskevent', ['story_id', 'id'], unique=False)

    op.create_table('pushsubscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.Text(), nullable=False),
    sa.Column('p256dh', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('auth', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['story.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('story_id', 'endpoint', name='uq_pushsubscription_story_endpoint')
    )
    op.create_index('ix_pushsubscription_story_id', 'pushsubscription', ['story_id'], unique=False)

    op.create_table('pushjob',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['story.id'], ),
    sa.PrimaryKeyConstraint('id')
    )

    op.create_table('serverkey',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )

    # The scheduler asks every second for what is due.
    op.create_index('ix_update_status_publish_at', 'update', ['status', 'publish_at'], unique=False)

    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            "CREATE VIRTUAL TABLE update_fts USING fts5("
            "headline, body, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        rows = op.get_bind().execute(sa.text('SELECT id, headline, body_html FROM "update"')).all()
        for update_id, headline, body_html in rows:
            op.get_bind().execute(
                sa.text("INSERT INTO update_fts (rowid, headline, body) VALUES (:id, :headline, :body)"),
                {"id": update_id, "headline": headline, "body": " ".join(nh3.clean(body_html, tags=set()).split())},
            )
    elif op.get_bind().dialect.name == 'postgresql':
        op.execute(f'CREATE INDEX ix_update_search ON "update" USING gin ({PG_VECTOR})')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TABLE update_fts")
    elif op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX ix_update_search")
    op.drop_index('ix_update_status_publish_at', table_name='update')
    op.drop_table('serverkey')
    op.drop_table('pushjob')
    op.drop_index('ix_pushsubscription_story_id', table_name='pushsubscription')
    op.drop_table('pushsubscription')
    op.drop_index('ix_deskevent_story_id_id', table_name='deskevent')
    op.drop_table('deskevent')
