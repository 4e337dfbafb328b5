"""bikerepair: repairers, services, bikes, booklets, appointments — first revision of the module's branch

Revision ID: bikerepair_0001
Revises:
Create Date: 2026-11-28 19:54:42.615606

"""

import sqlalchemy as sa
from alembic import op

import platformcoop.db_types

# revision identifiers, used by Alembic.
revision = "bikerepair_0001"
down_revision = None
branch_labels = ("bikerepair",)
depends_on = "core_0009"


def upgrade():
    op.create_table(
        "bikerepair_bike",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("bike_type", sa.String(length=20), nullable=False),
        sa.Column("brand", sa.String(length=80), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", platformcoop.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_bikerepair_bike_owner_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_bikerepair_bike_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bikerepair_bike")),
    )
    with op.batch_alter_table("bikerepair_bike", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bikerepair_bike_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bikerepair_bike_territory_id"), ["territory_id"], unique=False)

    op.create_table(
        "bikerepair_repairer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("bike_types", sa.JSON(), nullable=False),
        sa.Column("served_communes", sa.Text(), nullable=False),
        sa.Column("payment_notes", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("grid_minutes", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False),
        sa.Column("notice_minutes", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("auto_accept", sa.Boolean(), nullable=False),
        sa.Column("pending_expiry_hours", sa.Integer(), nullable=False),
        sa.Column("cancel_deadline_hours", sa.Integer(), nullable=False),
        sa.Column("created_at", platformcoop.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "buffer_minutes >= 0 AND buffer_minutes <= 240", name=op.f("ck_bikerepair_repairer_buffer_minutes")
        ),
        sa.CheckConstraint("capacity >= 1 AND capacity <= 10", name=op.f("ck_bikerepair_repairer_capacity")),
        sa.CheckConstraint("grid_minutes IN (15, 30, 60)", name=op.f("ck_bikerepair_repairer_grid_minutes")),
        sa.CheckConstraint(
            "notice_minutes >= 0 AND horizon_days >= 1", name=op.f("ck_bikerepair_repairer_notice_horizon")
        ),
        sa.CheckConstraint(
            "pending_expiry_hours >= 1 AND cancel_deadline_hours >= 0", name=op.f("ck_bikerepair_repairer_deadlines")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_bikerepair_repairer_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_bikerepair_repairer_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bikerepair_repairer")),
        sa.UniqueConstraint("organisation_id", name=op.f("uq_bikerepair_repairer_organisation_id")),
    )
    with op.batch_alter_table("bikerepair_repairer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bikerepair_repairer_territory_id"), ["territory_id"], unique=False)

    op.create_table(
        "bikerepair_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("repairer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("duration_minutes > 0", name=op.f("ck_bikerepair_service_duration_positive")),
        sa.CheckConstraint(
            "price_cents IS NULL OR price_cents >= 0", name=op.f("ck_bikerepair_service_price_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["repairer_id"],
            ["bikerepair_repairer.id"],
            name=op.f("fk_bikerepair_service_repairer_id_bikerepair_repairer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_bikerepair_service_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bikerepair_service")),
    )
    with op.batch_alter_table("bikerepair_service", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bikerepair_service_repairer_id"), ["repairer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bikerepair_service_territory_id"), ["territory_id"], unique=False)

    op.create_table(
        "bikerepair_appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("repairer_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("walk_in_name", sa.String(length=120), nullable=False),
        sa.Column("walk_in_phone", sa.String(length=40), nullable=False),
        sa.Column("bike_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("starts_at", platformcoop.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", platformcoop.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("proposed_starts_at", platformcoop.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status_message", sa.Text(), nullable=False),
        sa.Column("override", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", platformcoop.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", platformcoop.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", platformcoop.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.Column("reminded_day_before_at", platformcoop.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_soon_at", platformcoop.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "resident_id IS NOT NULL OR walk_in_name != ''", name=op.f("ck_bikerepair_appointment_someone")
        ),
        sa.CheckConstraint("buffer_minutes >= 0", name=op.f("ck_bikerepair_appointment_buffer_not_negative")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_bikerepair_appointment_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["bike_id"],
            ["bikerepair_bike.id"],
            name=op.f("fk_bikerepair_appointment_bike_id_bikerepair_bike"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by_id"],
            ["user.id"],
            name=op.f("fk_bikerepair_appointment_cancelled_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_bikerepair_appointment_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["repairer_id"],
            ["bikerepair_repairer.id"],
            name=op.f("fk_bikerepair_appointment_repairer_id_bikerepair_repairer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["user.id"], name=op.f("fk_bikerepair_appointment_resident_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["bikerepair_service.id"],
            name=op.f("fk_bikerepair_appointment_service_id_bikerepair_service"),
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_bikerepair_appointment_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bikerepair_appointment")),
    )
    with op.batch_alter_table("bikerepair_appointment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bikerepair_appointment_bike_id"), ["bike_id"], unique=False)
        batch_op.create_index("ix_bikerepair_appointment_repairer_starts", ["repairer_id", "starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_bikerepair_appointment_resident_id"), ["resident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bikerepair_appointment_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bikerepair_appointment_territory_id"), ["territory_id"], unique=False)
        batch_op.create_index("ix_bikerepair_appointment_territory_status", ["territory_id", "status"], unique=False)

    op.create_table(
        "bikerepair_booklet_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("bike_id", sa.Integer(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("work", sa.Text(), nullable=False),
        sa.Column("parts", sa.Text(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=True),
        sa.Column("by_repairer_id", sa.Integer(), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", platformcoop.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "price_cents IS NULL OR price_cents >= 0", name=op.f("ck_bikerepair_booklet_entry_price_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["bikerepair_appointment.id"],
            name=op.f("fk_bikerepair_booklet_entry_appointment_id_bikerepair_appointment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["bike_id"],
            ["bikerepair_bike.id"],
            name=op.f("fk_bikerepair_booklet_entry_bike_id_bikerepair_bike"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["by_repairer_id"],
            ["bikerepair_repairer.id"],
            name=op.f("fk_bikerepair_booklet_entry_by_repairer_id_bikerepair_repairer"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_bikerepair_booklet_entry_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_bikerepair_booklet_entry_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bikerepair_booklet_entry")),
    )
    with op.batch_alter_table("bikerepair_booklet_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bikerepair_booklet_entry_appointment_id"), ["appointment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_bikerepair_booklet_entry_bike_id"), ["bike_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_bikerepair_booklet_entry_by_repairer_id"), ["by_repairer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_bikerepair_booklet_entry_territory_id"), ["territory_id"], unique=False)


def downgrade():
    with op.batch_alter_table("bikerepair_booklet_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bikerepair_booklet_entry_territory_id"))
        batch_op.drop_index(batch_op.f("ix_bikerepair_booklet_entry_by_repairer_id"))
        batch_op.drop_index(batch_op.f("ix_bikerepair_booklet_entry_bike_id"))
        batch_op.drop_index(batch_op.f("ix_bikerepair_booklet_entry_appointment_id"))

    op.drop_table("bikerepair_booklet_entry")
    with op.batch_alter_table("bikerepair_appointment", schema=None) as batch_op:
        batch_op.drop_index("ix_bikerepair_appointment_territory_status")
        batch_op.drop_index(batch_op.f("ix_bikerepair_appointment_territory_id"))
        batch_op.drop_index(batch_op.f("ix_bikerepair_appointment_service_id"))
        batch_op.drop_index(batch_op.f("ix_bikerepair_appointment_resident_id"))
        batch_op.drop_index("ix_bikerepair_appointment_repairer_starts")
        batch_op.drop_index(batch_op.f("ix_bikerepair_appointment_bike_id"))

    op.drop_table("bikerepair_appointment")
    with op.batch_alter_table("bikerepair_service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bikerepair_service_territory_id"))
        batch_op.drop_index(batch_op.f("ix_bikerepair_service_repairer_id"))

    op.drop_table("bikerepair_service")
    with op.batch_alter_table("bikerepair_repairer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bikerepair_repairer_territory_id"))

    op.drop_table("bikerepair_repairer")
    with op.batch_alter_table("bikerepair_bike", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bikerepair_bike_territory_id"))
        batch_op.drop_index(batch_op.f("ix_bikerepair_bike_owner_id"))

    op.drop_table("bikerepair_bike")
