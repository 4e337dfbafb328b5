"""Statistics of the time bank for the municipality dashboard (the ``pc_territory_stats`` hook).

``territory_stats`` is called by the dashboard once per month of the last twelve; each figure is one aggregate
query. What places something in a period:

- active members: a member-to-member transfer (kind ``transfer``) created in the period, on either side;
- hours exchanged, in total and per category: transfers created in the period, minus the reversals of such transfers
  created in the period (never below zero); the share of childcare is the childcare hours over the total, in %;
- childcare sessions completed (confirmed or settled), cancelled, ever disputed, and the families helped (distinct
  parents of completed sessions): the session's planned start.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select, union
from sqlalchemy.orm import aliased

from platformcoop.extensions import db
from platformcoop.plugins import Stat
from plugins.timebank import services
from plugins.timebank.models import CHILDCARE, KIND_REVERSAL, KIND_TRANSFER, Account, Category, Session, Transfer
from plugins.timebank.reports import COMPLETED


def territory_stats(territory, start: datetime, end: datetime) -> list[Stat]:
    exchanged = minutes_exchanged(territory, start, end)
    per_category = _minutes_per_category(territory, start, end)
    childcare = sum(minutes for category, minutes in per_category if category.key == CHILDCARE)
    sessions = _session_counts(territory, start, end)
    stats = [
        _stat("timebank_active_members", _("Membres ayant échangé des heures"), _active_members(territory, start, end)),
        _stat("timebank_hours_exchanged", _("Heures échangées"), round(exchanged / 60, 2), "h"),
        *[
            _stat(
                f"timebank_hours_{category.key}",
                _("Heures échangées : %(category)s", category=category.label),
                round(minutes / 60, 2),
                "h",
            )
            for category, minutes in per_category
        ],
        _stat(
            "timebank_childcare_share",
            _("Part de la garde d'enfants dans les heures échangées"),
            round(100 * childcare / exchanged, 1) if exchanged else 0,
            "%",
        ),
        _stat("timebank_sessions_completed", _("Gardes effectuées"), sessions["completed"]),
        _stat("timebank_sessions_cancelled", _("Gardes annulées"), sessions["cancelled"]),
        _stat("timebank_sessions_disputed", _("Gardes contestées"), sessions["disputed"]),
        _stat("timebank_families_helped", _("Familles aidées (garde d'enfants)"), sessions["families"]),
    ]
    return stats


# The figures drawn month by month on the dashboard; the others are shown for the chosen period only.
CHARTED = {"timebank_active_members", "timebank_hours_exchanged", "timebank_sessions_completed"}


def _stat(key: str, label: str, value: int | float, unit: str = "") -> Stat:
    return Stat(key=key, label=label, value=value, unit=unit, module=services.NAME, chart=key in CHARTED)


def _active_members(territory, start: datetime, end: datetime) -> int:
    """Member accounts on either side of a member-to-member transfer of the period."""
    in_period = (
        Transfer.territory_id == territory.id,
        Transfer.kind == KIND_TRANSFER,
        Transfer.created_at >= start,
        Transfer.created_at < end,
    )
    sides = union(
        select(Transfer.from_account_id.label("account_id")).where(*in_period),
        select(Transfer.to_account_id.label("account_id")).where(*in_period),
    ).subquery()
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(sides)
            .join(Account, Account.id == sides.c.account_id)
            .where(Account.community.is_not(True))
        )
        or 0
    )


def minutes_exchanged(territory, start: datetime, end: datetime) -> int:
    """Minutes moved between members in ``[start, end)``, net of the reversals of that period."""
    base = select(func.coalesce(func.sum(Transfer.minutes), 0)).where(
        Transfer.territory_id == territory.id, Transfer.created_at >= start, Transfer.created_at < end
    )
    given = int(db.session.scalar(base.where(Transfer.kind == KIND_TRANSFER)))
    original = aliased(Transfer)
    reversed_ = int(
        db.session.scalar(
            base.join(original, Transfer.reverses_id == original.id).where(
                Transfer.kind == KIND_REVERSAL, original.kind == KIND_TRANSFER
            )
        )
    )
    return max(given - reversed_, 0)


def _minutes_per_category(territory, start: datetime, end: datetime) -> list[tuple[Category, int]]:
    """Every category of the territory (the switched-off ones only where used in the period) with its minutes
    exchanged in the period, net of that period's reversals of exchanges (a reversal keeps its original's category).
    Never below zero, like the total."""
    original = aliased(Transfer)
    signed = case((Transfer.kind == KIND_TRANSFER, Transfer.minutes), else_=-Transfer.minutes)
    totals = dict(
        db.session.execute(
            select(Transfer.category_id, func.sum(signed))
            .outerjoin(original, Transfer.reverses_id == original.id)
            .where(
                Transfer.territory_id == territory.id,
                Transfer.created_at >= start,
                Transfer.created_at < end,
                Transfer.category_id.is_not(None),
                or_(
                    Transfer.kind == KIND_TRANSFER,
                    and_(Transfer.kind == KIND_REVERSAL, original.kind == KIND_TRANSFER),
                ),
            )
            .group_by(Transfer.category_id)
        ).all()
    )
    categories = db.session.scalars(
        select(Category).where(Category.territory_id == territory.id).order_by(Category.position, Category.id)
    ).all()
    return [
        (category, max(int(totals.get(category.id) or 0), 0))
        for category in categories
        if category.active or category.id in totals  # a category switched off still counts where it was used
    ]


def _session_counts(territory, start: datetime, end: datetime) -> dict[str, int]:
    """Sessions planned to start in the period: completed (confirmed or settled), cancelled, ever disputed, and the
    distinct parents of the completed ones (families helped). One query."""
    completed = Session.status.in_(COMPLETED)
    row = db.session.execute(
        select(
            func.coalesce(func.sum(case((completed, 1), else_=0)), 0),
            func.coalesce(func.sum(case((Session.status == Session.CANCELLED, 1), else_=0)), 0),
            func.coalesce(
                func.sum(case((or_(Session.disputed_at.is_not(None), Session.status == Session.DISPUTED), 1), else_=0)),
                0,
            ),
            func.count(func.distinct(case((completed, Session.parent_account_id), else_=None))),
        ).where(Session.territory_id == territory.id, Session.starts_at >= start, Session.starts_at < end)
    ).one()
    return dict(zip(("completed", "cancelled", "disputed", "families"), (int(v or 0) for v in row), strict=True))
