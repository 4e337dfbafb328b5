"""sample module: first revision (its own branch)

Revision ID: sample_0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "sample_0001"
down_revision = None
branch_labels = ("sample",)
depends_on = "core_0001"


def upgrade():
    op.create_table(
        "sample_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_sample_item_owner_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_sample_item_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample_item")),
    )
    with op.batch_alter_table("sample_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sample_item_territory_id"), ["territory_id"], unique=False)


def downgrade():
    with op.batch_alter_table("sample_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sample_item_territory_id"))
    op.drop_table("sample_item")
