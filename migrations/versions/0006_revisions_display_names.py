"""revision table, an update's byline, correction and last editor, and display names

Revision ID: 0006_revisions_display_names
Revises: 0005_story_language
Create Date: 2026-12-02 10:00:00

Every change of a published update's text keeps the text it replaced in `revision`.
Updates written before have no byline ("": their author's account name is shown, as
before), no correction and no recorded editor; editors and tokens have no display name.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006_revisions_display_names'
down_revision = '0005_story_language'
branch_labels = None
depends_on = None


def _name(column: str) -> sa.Column:
    return sa.Column(column, sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False, server_default='')


def upgrade() -> None:
    op.create_table('revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('update_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('headline', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('editor', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('editor_byline', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('correction', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['update_id'], ['update.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('update_id', 'number', name='uq_revision_update_number')
    )
    op.create_index('ix_revision_update_id', 'revision', ['update_id'], unique=False)

    with op.batch_alter_table('update') as batch:
        batch.add_column(_name('byline'))
        batch.add_column(_name('edited_by'))
        batch.add_column(sa.Column('correction', sa.Text(), nullable=False, server_default=''))
        batch.add_column(sa.Column('corrected_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('editor') as batch:
        batch.add_column(_name('display_name'))
    with op.batch_alter_table('token') as batch:
        batch.add_column(_name('display_name'))


def downgrade() -> None:
    # The revisions go first: nothing may refer to `update` while SQLite rebuilds it.
    op.drop_index('ix_revision_update_id', table_name='revision')
    op.drop_table('revision')
    with op.batch_alter_table('token') as batch:
        batch.drop_column('display_name')
    with op.batch_alter_table('editor') as batch:
        batch.drop_column('display_name')
    with op.batch_alter_table('update') as batch:
        batch.drop_column('corrected_at')
        batch.drop_column('correction')
        batch.drop_column('edited_by')
        batch.drop_column('byline')
