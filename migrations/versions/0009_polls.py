"""poll and pollchoice tables: readers' polls, shown as updates

Revision ID: 0009_polls
Revises: 0008_audience
Create Date: 2026-12-03 10:00:00

A poll is an update's question with 2–6 choices; each choice keeps its own count, so a
vote is one UPDATE. Which browser voted is kept in its signed cookie, not here.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0009_polls'
down_revision = '0008_audience'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('poll',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('update_id', sa.Integer(), nullable=False),
    sa.Column('question', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['story.id'], ),
    sa.ForeignKeyConstraint(['update_id'], ['update.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('update_id')
    )
    op.create_index('ix_poll_story_id', 'poll', ['story_id'], unique=False)
    op.create_table('pollchoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('votes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('poll_id', 'position', name='uq_pollchoice_poll_position')
    )
    op.create_index('ix_pollchoice_poll_id', 'pollchoice', ['poll_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_pollchoice_poll_id', table_name='pollchoice')
    op.drop_table('pollchoice')
    op.drop_index('ix_poll_story_id', table_name='poll')
    op.drop_table('poll')
