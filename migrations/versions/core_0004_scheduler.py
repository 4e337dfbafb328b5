"""scheduler: last run of each job

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-11-29 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import platformcoop.db_types


# revision identifiers, used by Alembic.
revision = 'core_0004'
down_revision = 'core_0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scheduler_job_run',
    sa.Column('job_id', sa.String(length=200), nullable=False),
    sa.Column('last_run_at', platformcoop.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_finished_at', platformcoop.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_scheduler_job_run'))
    )


def downgrade():
    op.drop_table('scheduler_job_run')
