"""story.language: the language a story's reader pages are written in

Revision ID: 0005_story_language
Revises: 0004_push_subscription_limits
Create Date: 2026-12-01 15:40:00

NULL, as every existing story gets, means the site's LIVEBLOG_LANGUAGE.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005_story_language'
down_revision = '0004_push_subscription_limits'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('story') as batch:
        batch.add_column(sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('story') as batch:
        batch.drop_column('language')
