"""event.closes: a `story` event that closes its story, known without reading its JSON

Revision ID: 0003_event_closes
Revises: 0002_extras_workflow_search_push
Create Date: 2026-12-01 15:20:00

The hub ends every stream of a story at its closing event; with this flag it learns that
from the row instead of parsing the event's JSON back.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_event_closes'
down_revision = '0002_extras_workflow_search_push'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closes', sa.Boolean(), nullable=False, server_default=sa.false()))
    # Events written before: a story event whose JSON says it closed the story.
    op.execute(
        "UPDATE event SET closes = true WHERE kind = 'story' AND data LIKE '%\"status\":\"closed\"%'"
    )


def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('closes')
