"""syndication: tokens a producer issues, links a consumer follows, and the map between them

Revision ID: 0011_syndication
Revises: 0010_callouts_desk_chat
Create Date: 2026-12-04 10:00:00

`update.source_url` marks an update syndicated from another instance's story;
`syndicationlink.last_event_id` is the producer event last applied, kept in the same
transaction as the change it caused, so a restart resumes exactly.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011_syndication'
down_revision = '0010_callouts_desk_chat'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('update', sa.Column('source_url', sqlmodel.sql.sqltypes.AutoString(length=500),
                                      nullable=False, server_default=''))
    op.create_table('syndicationtoken',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['story.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_syndicationtoken_story_id', 'syndicationtoken', ['story_id'], unique=False)
    op.create_index('ix_syndicationtoken_digest', 'syndicationtoken', ['digest'], unique=True)
    op.create_table('syndicationlink',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('approval', sa.Boolean(), nullable=False),
    sa.Column('last_event_id', sa.Integer(), nullable=False),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['story.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_syndicationlink_story_id', 'syndicationlink', ['story_id'], unique=False)
    op.create_table('syndicatedupdate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('producer_update_id', sa.Integer(), nullable=False),
    sa.Column('update_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['syndicationlink.id'], ),
    sa.ForeignKeyConstraint(['update_id'], ['update.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('link_id', 'producer_update_id', name='uq_syndicatedupdate_link_producer')
    )
    op.create_index('ix_syndicatedupdate_link_id', 'syndicatedupdate', ['link_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_syndicatedupdate_link_id', table_name='syndicatedupdate')
    op.drop_table('syndicatedupdate')
    op.drop_index('ix_syndicationlink_story_id', table_name='syndicationlink')
    op.drop_table('syndicationlink')
    op.drop_index('ix_syndicationtoken_digest', table_name='syndicationtoken')
    op.drop_index('ix_syndicationtoken_story_id', table_name='syndicationtoken')
    op.drop_table('syndicationtoken')
    # A plain DROP COLUMN: a batch rebuild of `update` would drop what refers to it.
    op.execute('ALTER TABLE "update" DROP COLUMN source_url')
