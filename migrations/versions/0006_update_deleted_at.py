"""update.deleted_at: when an update was deleted, so the desk can undo it for a while

Revision ID: 0006_update_deleted_at
Revises: 0005_story_language
Create Date: 2026-12-01 20:15:00

A deleted update keeps its row (status 'deleted'); the newsroom restores it for readers
while `deleted_at` is within its undo window. Rows deleted before this revision have
NULL, which no window reaches.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_update_deleted_at'
down_revision = '0005_story_language'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('update') as batch:
        batch.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('update') as batch:
        batch.drop_column('deleted_at')
