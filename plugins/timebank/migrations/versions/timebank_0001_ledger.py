"""timebank: the ledger (accounts, transfers, movements) — first revision of the module's branch

Revision ID: timebank_0001
Revises:
Create Date: 2026-11-28 17:55:00

"""

import sqlalchemy as sa
from alembic import op

import platformcoop.db_types

# revision identifiers, used by Alembic.
revision = "timebank_0001"
down_revision = None
branch_labels = ("timebank",)
depends_on = "core_0009"


def upgrade():
    op.create_table(
        "timebank_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("community", sa.Boolean(), nullable=True),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("created_at", platformcoop.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_timebank_account_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_timebank_account_user_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timebank_account")),
        sa.UniqueConstraint("territory_id", "community", name=op.f("uq_timebank_account_territory_id_community")),
        sa.UniqueConstraint("territory_id", "user_id", name=op.f("uq_timebank_account_territory_id_user_id")),
    )
    with op.batch_alter_table("timebank_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timebank_account_territory_id"), ["territory_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_timebank_account_user_id"), ["user_id"], unique=False)

    op.create_table(
        "timebank_transfer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("from_account_id", sa.Integer(), nullable=False),
        sa.Column("to_account_id", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", platformcoop.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_timebank_transfer_created_by_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["from_account_id"],
            ["timebank_account.id"],
            name=op.f("fk_timebank_transfer_from_account_id_timebank_account"),
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["timebank_transfer.id"], name=op.f("fk_timebank_transfer_reverses_id_timebank_transfer")
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_timebank_transfer_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_account_id"], ["timebank_account.id"], name=op.f("fk_timebank_transfer_to_account_id_timebank_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timebank_transfer")),
        sa.UniqueConstraint("territory_id", "reverses_id", name=op.f("uq_timebank_transfer_territory_id_reverses_id")),
    )
    with op.batch_alter_table("timebank_transfer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timebank_transfer_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_timebank_transfer_from_account_id"), ["from_account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_timebank_transfer_territory_id"), ["territory_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_timebank_transfer_to_account_id"), ["to_account_id"], unique=False)

    op.create_table(
        "timebank_movement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("transfer_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", platformcoop.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["timebank_account.id"], name=op.f("fk_timebank_movement_account_id_timebank_account")
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_timebank_movement_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["timebank_transfer.id"], name=op.f("fk_timebank_movement_transfer_id_timebank_transfer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timebank_movement")),
    )
    with op.batch_alter_table("timebank_movement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timebank_movement_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_timebank_movement_territory_id"), ["territory_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_timebank_movement_transfer_id"), ["transfer_id"], unique=False)


def downgrade():
    with op.batch_alter_table("timebank_movement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timebank_movement_transfer_id"))
        batch_op.drop_index(batch_op.f("ix_timebank_movement_territory_id"))
        batch_op.drop_index(batch_op.f("ix_timebank_movement_account_id"))

    op.drop_table("timebank_movement")
    with op.batch_alter_table("timebank_transfer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timebank_transfer_to_account_id"))
        batch_op.drop_index(batch_op.f("ix_timebank_transfer_territory_id"))
        batch_op.drop_index(batch_op.f("ix_timebank_transfer_from_account_id"))
        batch_op.drop_index(batch_op.f("ix_timebank_transfer_created_at"))

    op.drop_table("timebank_transfer")
    with op.batch_alter_table("timebank_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timebank_account_user_id"))
        batch_op.drop_index(batch_op.f("ix_timebank_account_territory_id"))

    op.drop_table("timebank_account")
