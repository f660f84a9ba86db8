"""callout, submission and deskmessage tables; the reader's words an update quotes

Revision ID: 0010_callouts_desk_chat
Revises: 0009_polls
Create Date: 2026-12-04 10:00:00

Callouts and readers' questions (a callout with no update), what readers send to them
(for the desk only), and the desk's chat. An update that answers a question or quotes an
answer keeps the reader's words and, with their consent, their name.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0010_callouts_desk_chat'
down_revision = '0009_polls'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('update', sa.Column('reader_text', sa.Text(), nullable=False, server_default=''))
    op.add_column('update', sa.Column('reader_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False,
                                      server_default=''))
    op.add_column('update', sa.Column('reader_kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False,
                                      server_default=''))
    op.create_table('callout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('update_id', sa.Integer(), nullable=True),
    sa.Column('prompt', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('wants', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['story.id'], ),
    sa.ForeignKeyConstraint(['update_id'], ['update.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('update_id')
    )
    op.create_index('ix_callout_story_id', 'callout', ['story_id'], unique=False)
    op.create_table('submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('callout_id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('contact', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('image', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('update_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['callout_id'], ['callout.id'], ),
    sa.ForeignKeyConstraint(['story_id'], ['story.id'], ),
    sa.ForeignKeyConstraint(['update_id'], ['update.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_submission_callout_id', 'submission', ['callout_id'], unique=False)
    op.create_index('ix_submission_story_id_created_at', 'submission', ['story_id', 'created_at'], unique=False)
    op.create_table('deskmessage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('byline', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['story.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_deskmessage_story_id', 'deskmessage', ['story_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_deskmessage_story_id', table_name='deskmessage')
    op.drop_table('deskmessage')
    op.drop_index('ix_submission_story_id_created_at', table_name='submission')
    op.drop_index('ix_submission_callout_id', table_name='submission')
    op.drop_table('submission')
    op.drop_index('ix_callout_story_id', table_name='callout')
    op.drop_table('callout')
    op.drop_column('update', 'reader_kind')
    op.drop_column('update', 'reader_name')
    op.drop_column('update', 'reader_text')
