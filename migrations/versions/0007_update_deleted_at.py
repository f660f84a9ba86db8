"""update.deleted_at: when an update was deleted, so the desk can undo it for a while

Revision ID: 0007_update_deleted_at
Revises: 0006_revisions_display_names
Create Date: 2026-12-01 20:15:00

A deleted update keeps its row (status 'deleted'); the newsroom restores it for readers
while `deleted_at` is within its undo window. Rows deleted before this revision have
NULL, which no window reaches.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_update_deleted_at'
down_revision = '0006_revisions_display_names'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('update') as batch:
        batch.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35 and later, PostgreSQL): a batch rebuild of `update`
    # would drop the table that revisions still refer to.
    op.execute('ALTER TABLE "update" DROP COLUMN deleted_at')
