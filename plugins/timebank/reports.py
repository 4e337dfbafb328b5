"""Reports for the coordinators (the statistics for the municipality dashboard are in ``stats.py``).

Each report is one SELECT built here and used twice: a page of it on screen (``paginate``), all of it in the CSV
(streamed). The accounts, their users and the categories come in the same query (joins + ``contains_eager``), so a
page costs the same number of queries whether it shows 10 rows or 200.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import aliased, contains_eager

from platformcoop.accounts.models import User
from platformcoop.extensions import db
from plugins.timebank import services
from plugins.timebank.models import (
    KIND_CORRECTION,
    KIND_CREDIT,
    KIND_REVERSAL,
    KIND_TRANSFER,
    KIND_WELCOME,
    KIND_WRITE_OFF,
    Account,
    Category,
    Movement,
    Session,
    Transfer,
)

EXPORT_BATCH = 500

KIND_LABELS = {
    KIND_TRANSFER: _l("Échange"),
    KIND_WELCOME: _l("Crédit de bienvenue"),
    KIND_REVERSAL: _l("Annulation"),
    KIND_WRITE_OFF: _l("Compte soldé"),
    KIND_CREDIT: _l("Crédit du compte commun"),
    KIND_CORRECTION: _l("Correction"),
}
CORRECTION_KINDS = (KIND_REVERSAL, KIND_WRITE_OFF, KIND_CREDIT, KIND_CORRECTION)

CHILDCARE_STATUS_LABELS = {
    "none": _l("Ne propose pas de garde"),
    "requested": _l("Demande à proposer de la garde"),
    "verified": _l("Vérifié pour la garde"),
    "refused": _l("Non retenu pour la garde"),
}

SESSION_STATUS_LABELS = {
    Session.REQUESTED: _l("Demandée"),
    Session.ACCEPTED: _l("Acceptée"),
    Session.DECLINED: _l("Refusée par le gardien"),
    Session.CANCELLED: _l("Annulée"),
    Session.DECLARED: _l("Heures déclarées"),
    Session.CONFIRMED: _l("Confirmée"),
    Session.DISPUTED: _l("Contestée"),
    Session.SETTLED: _l("Réglée par un coordinateur"),
    Session.VOIDED: _l("Annulée par un coordinateur"),
    Session.EXPIRED: _l("Expirée"),
}
COMPLETED = (Session.CONFIRMED, Session.SETTLED)


class Hours(float):
    """Decimal hours for the CSV files: the core's CSV helper writes floats with ``:g``; this one keeps two decimals
    ("1,50"), as a French spreadsheet reads a number."""

    def __format__(self, spec: str) -> str:
        return float.__format__(self, ".2f")


def hours(minutes: int | None) -> Hours:
    return Hours((minutes or 0) / 60)


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


# -- members and their balances -------------------------------------------------------------------------------------


def members_query(territory, search: str = "") -> Select:
    """(Account, last exchange) of every member account, by name; the community account is not a member."""
    last = (
        select(Movement.account_id, func.max(Movement.created_at).label("last_exchange"))
        .join(Transfer, Movement.transfer_id == Transfer.id)
        .where(Movement.territory_id == territory.id, Transfer.kind == KIND_TRANSFER)
        .group_by(Movement.account_id)
        .subquery()
    )
    statement = (
        select(Account, last.c.last_exchange)
        .outerjoin(User, Account.user_id == User.id)
        .outerjoin(last, last.c.account_id == Account.id)
        .where(Account.territory_id == territory.id, Account.community.is_not(True))
        .options(contains_eager(Account.user))
        .order_by(func.lower(User.display_name), Account.id)
    )
    search = (search or "").strip().lower()
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(func.lower(User.display_name).like(f"%{escaped}%", escape="\\"))
    return statement


def members_header() -> list[str]:
    return [
        _("Membre"),
        _("Solde (heures)"),
        _("Solde (minutes)"),
        _("Dernier échange"),
        _("Garde d'enfants"),
        _("Compte fermé le"),
    ]


def members_rows(statement: Select) -> Iterator[tuple]:
    for account, last_exchange in db.session.execute(statement.execution_options(yield_per=EXPORT_BATCH)):
        yield (
            services.account_label(account),
            hours(account.balance),
            account.balance,
            last_exchange,
            str(CHILDCARE_STATUS_LABELS.get(account.childcare_status, account.childcare_status)),
            account.closed_at,
        )


# -- transfers over a period ----------------------------------------------------------------------------------------


def transfers_query(
    territory,
    start: datetime,
    end: datetime,
    *,
    category_id: int | None = None,
    account_id: int | None = None,
    kinds: tuple[str, ...] = (),
) -> Select:
    """(Transfer, id of its reversal or None) created in ``[start, end)``, newest first, with both accounts."""
    source, destination = aliased(Account), aliased(Account)
    source_user, destination_user = aliased(User), aliased(User)
    reversal = aliased(Transfer)
    statement = (
        select(Transfer, reversal.id.label("reversed_by"))
        .join(source, Transfer.from_account.of_type(source))
        .outerjoin(source_user, source.user.of_type(source_user))
        .join(destination, Transfer.to_account.of_type(destination))
        .outerjoin(destination_user, destination.user.of_type(destination_user))
        .outerjoin(Category, Transfer.category)
        .outerjoin(reversal, and_(reversal.reverses_id == Transfer.id, reversal.territory_id == territory.id))
        .where(Transfer.territory_id == territory.id, Transfer.created_at >= start, Transfer.created_at < end)
        .options(
            contains_eager(Transfer.from_account.of_type(source)).contains_eager(source.user.of_type(source_user)),
            contains_eager(Transfer.to_account.of_type(destination)).contains_eager(
                destination.user.of_type(destination_user)
            ),
            contains_eager(Transfer.category),
        )
        .order_by(Transfer.created_at.desc(), Transfer.id.desc())
    )
    if category_id:
        statement = statement.where(Transfer.category_id == category_id)
    if account_id:
        statement = statement.where(or_(Transfer.from_account_id == account_id, Transfer.to_account_id == account_id))
    if kinds:
        statement = statement.where(Transfer.kind.in_(kinds))
    return statement


def transfers_header() -> list[str]:
    return [
        _("N°"),
        _("Date"),
        _("De"),
        _("À"),
        _("Durée (heures)"),
        _("Durée (minutes)"),
        _("Type"),
        _("Catégorie"),
        _("Description"),
        _("Annule l'échange n°"),
        _("Annulé par l'échange n°"),
    ]


def transfers_rows(statement: Select) -> Iterator[tuple]:
    for record, reversed_by in db.session.execute(statement.execution_options(yield_per=EXPORT_BATCH)):
        yield (
            record.id,
            record.created_at,
            services.account_label(record.from_account),
            services.account_label(record.to_account),
            hours(record.minutes),
            record.minutes,
            kind_label(record.kind),
            record.category.label if record.category else "",
            record.description,
            record.reverses_id,
            reversed_by,
        )


# -- childcare sessions ---------------------------------------------------------------------------------------------


def sessions_query(
    territory, start: datetime, end: datetime, *, status: str | None = None, late_only: bool = False
) -> Select:
    """Sessions planned to start in ``[start, end)``, newest first, with the parent's and the caregiver's accounts."""
    parent, caregiver = aliased(Account), aliased(Account)
    parent_user, caregiver_user = aliased(User), aliased(User)
    statement = (
        select(Session)
        .join(parent, Session.parent_account.of_type(parent))
        .outerjoin(parent_user, parent.user.of_type(parent_user))
        .join(caregiver, Session.caregiver_account.of_type(caregiver))
        .outerjoin(caregiver_user, caregiver.user.of_type(caregiver_user))
        .where(Session.territory_id == territory.id, Session.starts_at >= start, Session.starts_at < end)
        .options(
            contains_eager(Session.parent_account.of_type(parent)).contains_eager(parent.user.of_type(parent_user)),
            contains_eager(Session.caregiver_account.of_type(caregiver)).contains_eager(
                caregiver.user.of_type(caregiver_user)
            ),
        )
        .order_by(Session.starts_at.desc(), Session.id.desc())
    )
    if status:
        statement = statement.where(Session.status == status)
    if late_only:
        statement = statement.where(Session.late_cancel.is_(True))
    return statement


def sessions_summary(territory, start: datetime, end: datetime) -> dict:
    """Counts per status, late cancellations and minutes credited of the sessions of the period (one query)."""
    rows = db.session.execute(
        select(
            Session.status,
            func.count(),
            func.coalesce(func.sum(case((Session.late_cancel.is_(True), 1), else_=0)), 0),
            func.coalesce(func.sum(Session.minutes), 0),
        )
        .where(Session.territory_id == territory.id, Session.starts_at >= start, Session.starts_at < end)
        .group_by(Session.status)
    ).all()
    by_status = {status: count for status, count, _late, _minutes in rows}
    return {
        "by_status": by_status,
        "total": sum(by_status.values()),
        "late_cancellations": sum(int(late) for _status, _count, late, _minutes in rows),
        "minutes": sum(int(minutes) for status, _count, _late, minutes in rows if status in COMPLETED),
    }


def sessions_header() -> list[str]:
    return [
        _("N°"),
        _("Début prévu"),
        _("Fin prévue"),
        _("Parent"),
        _("Gardien"),
        _("Statut"),
        _("Annulation tardive"),
        _("Début réel"),
        _("Fin réelle"),
        _("Heures créditées"),
        _("Minutes créditées"),
    ]


def sessions_rows(statement: Select) -> Iterator[tuple]:
    for session in db.session.scalars(statement.execution_options(yield_per=EXPORT_BATCH)):
        yield (
            session.id,
            session.starts_at,
            session.ends_at,
            services.account_label(session.parent_account),
            services.account_label(session.caregiver_account),
            str(SESSION_STATUS_LABELS.get(session.status, session.status)),
            session.late_cancel,
            session.actual_start,
            session.actual_end,
            hours(session.minutes) if session.minutes is not None else None,
            session.minutes,
        )


# -- one account, and the coordinators' hub -------------------------------------------------------------------------


def account_movements_query(territory, account: Account) -> Select:
    """The account's movements, newest first, each with its transfer and both sides of it."""
    source, destination = aliased(Account), aliased(Account)
    source_user, destination_user = aliased(User), aliased(User)
    return (
        select(Movement)
        .join(Transfer, Movement.transfer)
        .join(source, Transfer.from_account.of_type(source))
        .outerjoin(source_user, source.user.of_type(source_user))
        .join(destination, Transfer.to_account.of_type(destination))
        .outerjoin(destination_user, destination.user.of_type(destination_user))
        .where(Movement.territory_id == territory.id, Movement.account_id == account.id)
        .options(
            contains_eager(Movement.transfer)
            .contains_eager(Transfer.from_account.of_type(source))
            .contains_eager(source.user.of_type(source_user)),
            contains_eager(Movement.transfer)
            .contains_eager(Transfer.to_account.of_type(destination))
            .contains_eager(destination.user.of_type(destination_user)),
        )
        .order_by(Movement.created_at.desc(), Movement.id.desc())
    )


def account_choices(territory) -> list[tuple[int, str]]:
    """(id, name) of every account of the territory, the community account first, then members by name."""
    accounts = db.session.scalars(
        select(Account)
        .outerjoin(User, Account.user_id == User.id)
        .where(Account.territory_id == territory.id)
        .options(contains_eager(Account.user))
        .order_by(Account.community.is_(True).desc(), func.lower(User.display_name), Account.id)
    ).all()
    return [(account.id, services.account_label(account)) for account in accounts]


def hub_figures(territory, since: datetime) -> dict[str, int]:
    """What waits for the coordinators, and what happened since ``since``."""

    def count(statement) -> int:
        return int(db.session.scalar(statement) or 0)

    return {
        "vetting": count(
            select(func.count())
            .select_from(Account)
            .where(Account.territory_id == territory.id, Account.childcare_status == "requested")
        ),
        "disputes": count(
            select(func.count())
            .select_from(Session)
            .where(Session.territory_id == territory.id, Session.status == Session.DISPUTED)
        ),
        "late_cancellations": count(
            select(func.count())
            .select_from(Session)
            .where(Session.territory_id == territory.id, Session.late_cancel.is_(True), Session.cancelled_at >= since)
        ),
        "corrections": count(
            select(func.count())
            .select_from(Transfer)
            .where(
                Transfer.territory_id == territory.id,
                Transfer.kind.in_(CORRECTION_KINDS),
                Transfer.created_at >= since,
            )
        ),
    }


def former_members_with_balance(territory, limit: int = 20) -> list[Account]:
    """Accounts of people who left (erased or disabled) with hours still on them: to write off."""
    return list(
        db.session.scalars(
            select(Account)
            .outerjoin(User, Account.user_id == User.id)
            .where(
                Account.territory_id == territory.id,
                Account.community.is_not(True),
                Account.balance != 0,
                or_(User.id.is_(None), User.disabled.is_(True), User.erased_at.is_not(None)),
            )
            .options(contains_eager(Account.user))
            .order_by(Account.id)
            .limit(limit)
        )
    )
