"""Statistics of bike repair for the municipality dashboard (the ``pc_territory_stats`` hook).

``territory_stats`` is called by the dashboard for the chosen period and once per month of the last twelve; it runs
four queries whatever the number of appointments. What places an appointment in a period ``[start, end)``:

- **requested**: its creation (every booking, online or entered by the staff for a walk-in);
- **accepted**: the repairer's decision (``decided_at``; at booking time for a repairer that accepts at once) for
  the appointments that were accepted and not called off since (accepted, done or no-show now);
- **refused**, **expired**: the decision, or the scheduler's expiry (``decided_at``);
- **cancelled**: the cancellation (``cancelled_at``), by either side, a declined proposal included;
- **done**, **no-show**: the appointment's start (the repair happened, or not, that day);
- **median delay to the first available slot**: the appointments created in the period that recorded the first slot
  the repairer offered when the resident booked (``first_slot_at``; staff-entered ones do not), in hours;
- **bikes repaired per type**: done appointments by their start, per the type of the bike chosen (no bike: "non
  précisé");
- **active repairers** and the **share of associative workshops**: a snapshot (now), whatever the period: the
  repairers switched on whose organisation is active; the associative and self-repair workshops among them, in %.
"""

from __future__ import annotations

from datetime import datetime
from statistics import median

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select

from platformcoop.extensions import db
from platformcoop.organisations.models import ACTIVE, Organisation
from platformcoop.plugins import Stat
from plugins.bikerepair import NAME
from plugins.bikerepair.models import (
    ACCEPTED,
    BIKE_TYPES,
    CANCELLED,
    DONE,
    EXPIRED,
    NO_SHOW,
    REFUSED,
    Appointment,
    Bike,
    Repairer,
)

ASSOCIATIVE_KINDS = ("atelier_associatif", "autoreparation")
UNSPECIFIED = "non_precise"

# The figures drawn month by month on the dashboard; the others are shown for the chosen period only.
CHARTED = {"bikerepair_requested", "bikerepair_done", "bikerepair_cancelled"}


def territory_stats(territory, start: datetime, end: datetime) -> list[Stat]:
    counts = _appointment_counts(territory, start, end)
    repairers, associative = _active_repairers(territory)
    per_type = _repaired_per_bike_type(territory, start, end)
    return [
        _stat("bikerepair_active_repairers", _("Réparateurs actifs"), repairers),
        _stat("bikerepair_requested", _("Rendez-vous demandés"), counts["requested"]),
        _stat("bikerepair_accepted", _("Rendez-vous acceptés"), counts["accepted"]),
        _stat("bikerepair_refused", _("Demandes refusées"), counts["refused"]),
        _stat("bikerepair_expired", _("Demandes restées sans réponse"), counts["expired"]),
        _stat("bikerepair_done", _("Réparations effectuées"), counts["done"]),
        _stat("bikerepair_cancelled", _("Rendez-vous annulés"), counts["cancelled"]),
        _stat("bikerepair_no_show", _("Rendez-vous non honorés (absents)"), counts["no_show"]),
        _stat(
            "bikerepair_first_slot_delay",
            _("Délai médian jusqu'au premier créneau libre"),
            _median_first_slot_delay(territory, start, end),
            "h",
        ),
        *[
            _stat(
                f"bikerepair_repaired_{key}",
                _("Vélos réparés : %(type)s", type=label),
                per_type.get(key, 0),
            )
            for key, label in _bike_type_labels()
        ],
        _stat(
            "bikerepair_associative_share",
            _("Part des ateliers associatifs parmi les réparateurs actifs"),
            round(100 * associative / repairers, 1) if repairers else 0,
            "%",
        ),
    ]


def _stat(key: str, label: str, value: int | float, unit: str = "") -> Stat:
    return Stat(key=key, label=label, value=value, unit=unit, module=NAME, chart=key in CHARTED)


def _bike_type_labels() -> list[tuple[str, str]]:
    return [(key, str(label)) for key, label in BIKE_TYPES.items()] + [(UNSPECIFIED, _("non précisé"))]


def _in(column, start: datetime, end: datetime):
    return and_(column >= start, column < end)


def _appointment_counts(territory, start: datetime, end: datetime) -> dict[str, int]:
    """Every count of the period in one query (each figure placed by its own instant, see the module docstring)."""
    decided = func.coalesce(Appointment.decided_at, Appointment.created_at)
    figures = {
        "requested": _in(Appointment.created_at, start, end),
        "accepted": and_(Appointment.status.in_((ACCEPTED, DONE, NO_SHOW)), _in(decided, start, end)),
        "refused": and_(Appointment.status == REFUSED, _in(decided, start, end)),
        "expired": and_(Appointment.status == EXPIRED, _in(decided, start, end)),
        "cancelled": and_(Appointment.status == CANCELLED, _in(Appointment.cancelled_at, start, end)),
        "done": and_(Appointment.status == DONE, _in(Appointment.starts_at, start, end)),
        "no_show": and_(Appointment.status == NO_SHOW, _in(Appointment.starts_at, start, end)),
    }
    row = db.session.execute(
        select(*[func.coalesce(func.sum(case((condition, 1), else_=0)), 0) for condition in figures.values()]).where(
            Appointment.territory_id == territory.id,
            or_(
                _in(Appointment.created_at, start, end),
                _in(decided, start, end),
                _in(Appointment.cancelled_at, start, end),
                _in(Appointment.starts_at, start, end),
            ),
        )
    ).one()
    return dict(zip(figures, (int(value or 0) for value in row), strict=True))


def _active_repairers(territory) -> tuple[int, int]:
    """(repairers switched on with an active organisation, how many of them are associative or self-repair
    workshops). One query."""
    associative = case((Repairer.kind.in_(ASSOCIATIVE_KINDS), 1), else_=0)
    total, among = db.session.execute(
        select(func.count(), func.coalesce(func.sum(associative), 0))
        .select_from(Repairer)
        .join(Organisation, Organisation.id == Repairer.organisation_id)
        .where(Repairer.territory_id == territory.id, Repairer.enabled.is_(True), Organisation.status == ACTIVE)
    ).one()
    return int(total or 0), int(among or 0)


def _median_first_slot_delay(territory, start: datetime, end: datetime) -> float:
    """The median of ``first_slot_at - created_at`` (never below zero), in hours to one decimal, over the
    appointments created in the period that recorded it; 0 when none did. One query (two instants a row: the
    difference of two instants is computed here, the same way on SQLite and PostgreSQL)."""
    rows = db.session.execute(
        select(Appointment.created_at, Appointment.first_slot_at).where(
            Appointment.territory_id == territory.id,
            _in(Appointment.created_at, start, end),
            Appointment.first_slot_at.is_not(None),
        )
    ).all()
    if not rows:
        return 0
    delays = [max((first_slot - created).total_seconds(), 0) / 3600 for created, first_slot in rows]
    return round(median(delays), 1)


def _repaired_per_bike_type(territory, start: datetime, end: datetime) -> dict[str, int]:
    """Done appointments starting in the period, per bike type (no bike, or a type no longer known: unspecified)."""
    rows = db.session.execute(
        select(Bike.bike_type, func.count())
        .select_from(Appointment)
        .outerjoin(Bike, Bike.id == Appointment.bike_id)
        .where(
            Appointment.territory_id == territory.id,
            Appointment.status == DONE,
            _in(Appointment.starts_at, start, end),
        )
        .group_by(Bike.bike_type)
    ).all()
    counts: dict[str, int] = {}
    for bike_type, count in rows:
        key = bike_type if bike_type in BIKE_TYPES else UNSPECIFIED
        counts[key] = counts.get(key, 0) + int(count)
    return counts
