"""outbox: the e-mail outbox table and its attachments; notification.email_status (immediate, digest)

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-11-28 16:18:51.301207

"""
from alembic import op
import sqlalchemy as sa

import platformcoop.db_types


# revision identifiers, used by Alembic.
revision = 'core_0003'
down_revision = 'core_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', platformcoop.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', platformcoop.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', platformcoop.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('claimed_at', platformcoop.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], name=op.f('fk_outbox_message_territory_id_territory'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_territory_id'), ['territory_id'], unique=False)

    op.create_table('outbox_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('mimetype', sa.String(length=100), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['outbox_message.id'], name=op.f('fk_outbox_attachment_message_id_outbox_message'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_attachment'))
    )
    with op.batch_alter_table('outbox_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_attachment_message_id'), ['message_id'], unique=False)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_status', sa.String(length=10), nullable=True))
        batch_op.create_index(batch_op.f('ix_notification_email_status'), ['email_status'], unique=False)


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_email_status'))
        batch_op.drop_column('email_status')

    with op.batch_alter_table('outbox_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_attachment_message_id'))

    op.drop_table('outbox_attachment')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_territory_id'))
        batch_op.drop_index('ix_outbox_message_status_next_attempt_at')

    op.drop_table('outbox_message')
