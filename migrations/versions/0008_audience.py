"""audiencebeat and audienceminute: each process's open readers and desks per story, and
each story's readers per minute

Revision ID: 0008_audience
Revises: 0007_update_deleted_at
Create Date: 2026-12-01 21:10:00

`audiencebeat` holds a row per process and story, rewritten every few seconds (rows not
rewritten lately are a process gone and count for nothing); `audienceminute` the peak of
their sum in each minute of a story's life.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008_audience'
down_revision = '0007_update_deleted_at'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'audiencebeat',
        sa.Column('process', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('story_id', sa.Integer(), nullable=False),
        sa.Column('readers', sa.Integer(), nullable=False),
        sa.Column('editors', sa.Text(), nullable=False),
        sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['story_id'], ['story.id']),
        sa.PrimaryKeyConstraint('process', 'story_id'),
    )
    op.create_index('ix_audiencebeat_story_id_beat_at', 'audiencebeat', ['story_id', 'beat_at'], unique=False)
    op.create_table(
        'audienceminute',
        sa.Column('story_id', sa.Integer(), nullable=False),
        sa.Column('minute', sa.DateTime(timezone=True), nullable=False),
        sa.Column('peak', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['story_id'], ['story.id']),
        sa.PrimaryKeyConstraint('story_id', 'minute'),
    )


def downgrade() -> None:
    op.drop_table('audienceminute')
    op.drop_index('ix_audiencebeat_story_id_beat_at', table_name='audiencebeat')
    op.drop_table('audiencebeat')
