"""accounts: erased_at on user (GDPR erasure)

Revision ID: core_0009
Revises: core_0008
Create Date: 2026-11-28 16:30:00

"""
from alembic import op
import sqlalchemy as sa

import platformcoop.db_types


# revision identifiers, used by Alembic.
revision = 'core_0009'
down_revision = 'core_0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', platformcoop.db_types.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
