"""messaging

Revision ID: core_0006
Revises: core_0005
Create Date: 2026-11-28 16:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import platformcoop.db_types


# revision identifiers, used by Alembic.
revision = 'core_0006'
down_revision = 'core_0005'
branch_labels = None
# The participants and messages refer to the "organisation" table.
depends_on = None


def upgrade():
    op.create_table('messaging_conversation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=100), nullable=True),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('thread_key', sa.String(length=255), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', platformcoop.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', platformcoop.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_messaging_conversation_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], name=op.f('fk_messaging_conversation_territory_id_territory'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messaging_conversation')),
    sa.UniqueConstraint('territory_id', 'thread_key', name=op.f('uq_messaging_conversation_territory_id_thread_key'))
    )
    with op.batch_alter_table('messaging_conversation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messaging_conversation_last_message_at'), ['last_message_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_messaging_conversation_territory_id'), ['territory_id'], unique=False)

    op.create_table('messaging_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', platformcoop.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_messaging_message_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['conversation_id'], ['messaging_conversation.id'], name=op.f('fk_messaging_message_conversation_id_messaging_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_messaging_message_organisation_id_organisation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], name=op.f('fk_messaging_message_territory_id_territory'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messaging_message'))
    )
    with op.batch_alter_table('messaging_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messaging_message_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messaging_message_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messaging_message_territory_id'), ['territory_id'], unique=False)

    op.create_table('messaging_participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('created_at', platformcoop.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(user_id IS NULL) <> (organisation_id IS NULL)', name=op.f('ck_messaging_participant_user_or_organisation')),
    sa.ForeignKeyConstraint(['conversation_id'], ['messaging_conversation.id'], name=op.f('fk_messaging_participant_conversation_id_messaging_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_messaging_participant_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], name=op.f('fk_messaging_participant_territory_id_territory'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_messaging_participant_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messaging_participant')),
    sa.UniqueConstraint('conversation_id', 'organisation_id', name=op.f('uq_messaging_participant_conversation_id_organisation_id')),
    sa.UniqueConstraint('conversation_id', 'user_id', name=op.f('uq_messaging_participant_conversation_id_user_id'))
    )
    with op.batch_alter_table('messaging_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messaging_participant_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messaging_participant_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messaging_participant_territory_id'), ['territory_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messaging_participant_user_id'), ['user_id'], unique=False)

    op.create_table('messaging_read_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('last_read_message_id', sa.Integer(), nullable=False),
    sa.Column('last_read_at', platformcoop.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_notified_at', platformcoop.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['messaging_conversation.id'], name=op.f('fk_messaging_read_state_conversation_id_messaging_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], name=op.f('fk_messaging_read_state_territory_id_territory'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_messaging_read_state_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messaging_read_state')),
    sa.UniqueConstraint('conversation_id', 'user_id', name=op.f('uq_messaging_read_state_conversation_id_user_id'))
    )
    with op.batch_alter_table('messaging_read_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messaging_read_state_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messaging_read_state_territory_id'), ['territory_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messaging_read_state_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('messaging_read_state', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messaging_read_state_user_id'))
        batch_op.drop_index(batch_op.f('ix_messaging_read_state_territory_id'))
        batch_op.drop_index(batch_op.f('ix_messaging_read_state_conversation_id'))

    op.drop_table('messaging_read_state')
    with op.batch_alter_table('messaging_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messaging_participant_user_id'))
        batch_op.drop_index(batch_op.f('ix_messaging_participant_territory_id'))
        batch_op.drop_index(batch_op.f('ix_messaging_participant_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_messaging_participant_conversation_id'))

    op.drop_table('messaging_participant')
    with op.batch_alter_table('messaging_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messaging_message_territory_id'))
        batch_op.drop_index(batch_op.f('ix_messaging_message_conversation_id'))
        batch_op.drop_index(batch_op.f('ix_messaging_message_author_id'))

    op.drop_table('messaging_message')
    with op.batch_alter_table('messaging_conversation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messaging_conversation_territory_id'))
        batch_op.drop_index(batch_op.f('ix_messaging_conversation_last_message_at'))

    op.drop_table('messaging_conversation')
