"""media: uploaded files (the upload table)

Revision ID: core_0007
Revises: core_0006
Create Date: 2026-11-28 16:19:28.065927

"""
from alembic import op
import sqlalchemy as sa

import platformcoop.db_types


# revision identifiers, used by Alembic.
revision = 'core_0007'
down_revision = 'core_0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('upload',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('territory_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('purpose', sa.String(length=100), nullable=False),
    sa.Column('original_filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('private', sa.Boolean(), nullable=False),
    sa.Column('created_at', platformcoop.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_upload_owner_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['territory_id'], ['territory.id'], name=op.f('fk_upload_territory_id_territory'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upload')),
    sa.UniqueConstraint('key', name=op.f('uq_upload_key'))
    )
    with op.batch_alter_table('upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_upload_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_upload_territory_id'), ['territory_id'], unique=False)


def downgrade():
    with op.batch_alter_table('upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_upload_territory_id'))
        batch_op.drop_index(batch_op.f('ix_upload_owner_id'))

    op.drop_table('upload')
