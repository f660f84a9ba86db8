"""pushsubscription.address and .failures: subscriptions capped per client address, and
dropped after repeated failed sends

Revision ID: 0004_push_subscription_limits
Revises: 0003_event_closes
Create Date: 2026-12-01 15:30:00

Subscriptions kept before have no address (""), so they count against no one's cap.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004_push_subscription_limits'
down_revision = '0003_event_closes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pushsubscription', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('failures', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index('ix_pushsubscription_address', ['address'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pushsubscription', schema=None) as batch_op:
        batch_op.drop_index('ix_pushsubscription_address')
        batch_op.drop_column('failures')
        batch_op.drop_column('address')
