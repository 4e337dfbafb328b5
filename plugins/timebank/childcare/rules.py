"""The childcare rules that need no transition: time (local wall clock in, UTC stored), the credited minutes and
their weighting, the weekly cap, who sees what on a session, and the labels shown for statuses and places."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from math import floor
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from platformcoop.accounts.permissions import can
from platformcoop.clock import now as clock_now
from platformcoop.extensions import db
from platformcoop.formatting import format_duration, local_date
from plugins.timebank import services
from plugins.timebank.models import (
    CHILDCARE_NONE,
    CHILDCARE_REFUSED,
    CHILDCARE_REQUESTED,
    CHILDCARE_VERIFIED,
    Account,
    Child,
    Session,
)
from plugins.timebank.services import TimebankError

NOTE_MAX = 1000
MESSAGE_MAX = 2000
DETAILS_HOURS_AFTER = 24  # the caregiver sees the children's details until this long after the planned end

KIND_SESSION = "timebank.session"
KIND_REMINDER = "timebank.reminder"
KIND_COORDINATION = "timebank.coordination"

OPEN = (Session.REQUESTED, Session.ACCEPTED, Session.DECLARED, Session.DISPUTED)
# what counts towards the caregiver's weekly cap: everything planned that was not called off
BOOKED = (Session.REQUESTED, Session.ACCEPTED, Session.DECLARED, Session.CONFIRMED, Session.DISPUTED, Session.SETTLED)
HELD = BOOKED[1:]  # the same without the requests the caregiver has not accepted yet
ACCEPTED_ONCE = (*HELD, Session.VOIDED, Session.EXPIRED)

STATUS_LABELS = {
    Session.REQUESTED: _l("Demandée, en attente de réponse"),
    Session.ACCEPTED: _l("Acceptée"),
    Session.DECLINED: _l("Refusée par la personne qui garde"),
    Session.CANCELLED: _l("Annulée"),
    Session.DECLARED: _l("Heures déclarées, à confirmer par le parent"),
    Session.CONFIRMED: _l("Confirmée, heures transférées"),
    Session.DISPUTED: _l("Contestée, en attente des coordinateurs"),
    Session.SETTLED: _l("Réglée par les coordinateurs"),
    Session.VOIDED: _l("Annulée par les coordinateurs"),
    Session.EXPIRED: _l("Expirée sans réponse du parent"),
}
PLACE_LABELS = {Session.PLACE_PARENT: _l("Chez le parent"), Session.PLACE_CAREGIVER: _l("Chez la personne qui garde")}
VETTING_LABELS = {
    CHILDCARE_NONE: _l("Pas de demande"),
    CHILDCARE_REQUESTED: _l("Demande en attente d'un coordinateur"),
    CHILDCARE_VERIFIED: _l("Vérifié(e) pour la garde d'enfants"),
    CHILDCARE_REFUSED: _l("Non vérifié(e)"),
}

PHONE_SEPARATORS = re.compile(r"[\s.\-()/]")
PHONE = re.compile(r"^(0\d{9}|\+\d{8,15})$")


class NotAllowed(TimebankError):
    """The person is on the session (or a coordinator) but may not do this: the views answer 403."""


class StaleSession(TimebankError):
    """The session changed meanwhile (another click, another request, the sweep): nothing was done."""


def local_instant(territory, day: date, at: time) -> datetime:
    """``day`` at ``at`` in the territory's time zone, as a UTC instant."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(territory.timezone)).astimezone(UTC)


def local_interval(territory, day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """A start and an end typed in local time; an end earlier than the start is the next day (a late evening)."""
    if end == start:
        raise TimebankError(_("L'heure de fin doit être après l'heure de début."))
    end_day = day if end > start else day + timedelta(days=1)
    return local_instant(territory, day, start), local_instant(territory, end_day, end)


def round_to_step(minutes: Fraction | int, step: int) -> int:
    """The nearest multiple of ``step``, halves rounded up (22.5 → 30 with a step of 15)."""
    return floor(Fraction(minutes) / step + Fraction(1, 2)) * step


def night_minutes(
    start: datetime, end: datetime, timezone: str, night_start_hour: int, night_end_hour: int
) -> Fraction:
    """The minutes of ``[start, end)`` between ``night_start_hour`` and ``night_end_hour`` local time."""
    zone = ZoneInfo(timezone)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    day, last = start.astimezone(zone).date() - timedelta(days=1), end.astimezone(zone).date()
    total = Fraction(0)
    while day <= last:
        night_from = datetime.combine(day, time(night_start_hour), tzinfo=zone).astimezone(UTC)
        night_to = datetime.combine(day + timedelta(days=1), time(night_end_hour), tzinfo=zone).astimezone(UTC)
        overlap = min(end, night_to) - max(start, night_from)
        if overlap > timedelta(0):
            total += Fraction(overlap // timedelta(seconds=1), 60)
        day += timedelta(days=1)
    return total


def weighted_minutes(start: datetime, end: datetime, children: int, rules: dict, timezone: str) -> int:
    """The minutes a session of ``children`` children from ``start`` to ``end`` credits under ``rules`` (the module's
    settings): its real length (UTC, so a DST night counts its true hours); when ``weighting`` is on, plus
    ``extra_child_percent`` of it per child after the first, plus ``night_percent`` of its night minutes (the two
    surcharges add up); then rounded to the nearest step, halves up. Pure: no database, no clock."""
    length = Fraction((end.astimezone(UTC) - start.astimezone(UTC)) // timedelta(seconds=1), 60)
    if rules["weighting"]:
        extra = Fraction(rules["extra_child_percent"] * max(children - 1, 0), 100)
        night = night_minutes(start, end, timezone, rules["night_start_hour"], rules["night_end_hour"])
        length = length * (1 + extra) + night * Fraction(rules["night_percent"], 100)
    return round_to_step(length, rules["step_minutes"])


def credited_minutes(territory, session: Session) -> int:
    """What ``session`` credits: the declared times (the planned ones before a declaration), rounded and weighted."""
    start = session.actual_start or session.starts_at
    end = session.actual_end or session.ends_at
    return weighted_minutes(start, end, len(session.children), services.settings(territory), territory.timezone)


def week_of(territory, instant: datetime) -> tuple[datetime, datetime, date]:
    """The ISO week (Monday to Sunday, local) holding ``instant``: its UTC bounds and its Monday."""
    monday = instant.astimezone(ZoneInfo(territory.timezone)).date()
    monday -= timedelta(days=monday.weekday())
    return (
        local_instant(territory, monday, time(0)),
        local_instant(territory, monday + timedelta(days=7), time(0)),
        monday,
    )


def planned_minutes_in_week(territory, caregiver: Account, instant: datetime, statuses, exclude_id=None) -> int:
    """The planned minutes of ``caregiver``'s sessions (in ``statuses``) starting in the week of ``instant``."""
    start, end, _monday = week_of(territory, instant)
    query = select(Session.starts_at, Session.ends_at).where(
        Session.territory_id == territory.id,
        Session.caregiver_account_id == caregiver.id,
        Session.status.in_(statuses),
        Session.starts_at >= start,
        Session.starts_at < end,
    )
    if exclude_id is not None:
        query = query.where(Session.id != exclude_id)
    return sum((e - s) // timedelta(minutes=1) for s, e in db.session.execute(query))


def check_weekly_cap(territory, caregiver: Account, starts_at, ends_at, statuses, exclude_id, *, asked_by_parent):
    # Lock the caregiver's row: two bookings of the same caregiver are counted one after the other.
    db.session.execute(
        select(Account.id).where(Account.id == caregiver.id, Account.territory_id == territory.id).with_for_update()
    )
    cap = services.settings(territory)["weekly_childcare_cap"]
    already = planned_minutes_in_week(territory, caregiver, starts_at, statuses, exclude_id)
    if already + (ends_at - starts_at) // timedelta(minutes=1) <= cap:
        return
    monday = local_date(week_of(territory, starts_at)[2], territory, "long")
    values = {"booked": format_duration(already), "monday": monday, "cap": format_duration(cap)}
    if asked_by_parent:
        message = _(
            "Cette personne a déjà %(booked)s de garde prévues la semaine du %(monday)s : avec celle-ci, elle "
            "dépasserait le plafond de %(cap)s par semaine. La banque de temps est de l'entraide occasionnelle ; "
            "garder des enfants régulièrement est le métier d'assistante maternelle. Choisissez une autre semaine "
            "ou une autre personne.",
            **values,
        )
    else:
        message = _(
            "Vous avez déjà %(booked)s de garde acceptées la semaine du %(monday)s : avec celle-ci, vous "
            "dépasseriez le plafond de %(cap)s par semaine. La banque de temps est de l'entraide occasionnelle ; "
            "garder des enfants régulièrement est le métier d'assistante maternelle.",
            **values,
        )
    raise TimebankError(message)


def clean_text(text, *, max_length: int = NOTE_MAX, required=None) -> str:
    text = (text or "").strip()
    if required is not None and not text:
        raise TimebankError(str(required))
    if len(text) > max_length:
        raise TimebankError(_("Le texte ne doit pas dépasser %(max)s caractères.", max=max_length))
    return text


def is_coordinator(user, territory) -> bool:
    return can(user, "timebank.coordinate", territory)


def require_coordinator(territory, actor) -> None:
    if not is_coordinator(actor, territory):
        raise NotAllowed(_("Seuls les coordinateurs peuvent faire cela."))


def may_offer_childcare(territory, account: Account | None) -> bool:
    """Verified, with an open account, and still an active member of the territory."""
    if account is None or account.childcare_status != CHILDCARE_VERIFIED or account.closed_at is not None:
        return False
    user = account.user
    if user is None or user.disabled or user.is_erased:
        return False
    membership = user.membership_in(territory)
    return membership is not None and membership.is_active


def has_emergency_contact(account: Account) -> bool:
    return bool(account.emergency_contact_name and account.emergency_contact_phone)


def birth_year_error(territory, birth_year) -> str | None:
    """Why ``birth_year`` is not plausible for a child (not in the future, under 18), or None."""
    this_year = clock_now().astimezone(ZoneInfo(territory.timezone)).year
    if not isinstance(birth_year, int) or birth_year > this_year:
        return _("L'année de naissance ne peut pas être dans le futur.")
    if birth_year < this_year - 17:
        return _(
            "La garde d'enfants concerne les enfants de moins de 18 ans (nés en %(year)s ou après).",
            year=this_year - 17,
        )
    return None


def phone_error(phone: str) -> str | None:
    """Why ``phone`` is not a telephone number one can call (06 12 34 56 78, +33 6 12 34 56 78), or None."""
    if not PHONE.match(PHONE_SEPARATORS.sub("", phone or "")):
        return _("Indiquez un numéro de téléphone valable, par exemple 06 12 34 56 78.")
    return None


def role_of(session: Session, user) -> str | None:
    """``"parent"``, ``"caregiver"`` or None for ``user`` on ``session``."""
    user_id = getattr(user, "id", None)
    if user_id is None:
        return None
    if session.parent_account.user_id == user_id:
        return "parent"
    if session.caregiver_account.user_id == user_id:
        return "caregiver"
    return None


def may_view(territory, session: Session, user) -> bool:
    return role_of(session, user) is not None or is_coordinator(user, territory)


def shows_child_details(session: Session, user, at: datetime | None = None) -> bool:
    """Children's first names and notes, and the emergency contact: always to the parent; to the caregiver once the
    session is accepted and until 24 h after its planned end; never to anyone else."""
    role = role_of(session, user)
    if role == "parent":
        return True
    if role != "caregiver" or session.status not in ACCEPTED_ONCE:
        return False
    return (at or clock_now()) <= session.ends_at + timedelta(hours=DETAILS_HOURS_AFTER)


def shows_child_ages(session: Session, user, at: datetime | None = None) -> bool:
    """Before acceptance the caregiver (and the coordinators) see the children's ages; after the 24 h, nothing."""
    if role_of(session, user) == "caregiver" and session.status in ACCEPTED_ONCE:
        return shows_child_details(session, user, at)
    return True


def child_age_label(territory, child: Child, at: datetime | None = None) -> str:
    years = (at or clock_now()).astimezone(ZoneInfo(territory.timezone)).year - child.birth_year
    if years <= 0:
        return _("moins d'un an")
    return ngettext("environ %(num)s an", "environ %(num)s ans", years)


def require_role(session: Session, actor, role: str) -> None:
    if role_of(session, actor) != role:
        if role == "parent":
            raise NotAllowed(_("Seul le parent qui a demandé la garde peut faire cela."))
        raise NotAllowed(_("Seule la personne qui garde les enfants peut faire cela."))


def confirmation_deadline(territory, session: Session) -> datetime | None:
    if session.declared_at is None:
        return None
    return session.declared_at + timedelta(days=services.settings(territory)["session_answer_days"])


def period_label(territory, start: datetime, end: datetime, locale: str = "fr") -> str:
    """``samedi 14 mars 2026, de 14:00 à 17:30`` in the territory's time zone (``… à 01:00 le lendemain``)."""
    from babel.dates import format_date, format_time

    zone = ZoneInfo(territory.timezone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    values = {
        "day": format_date(local_start.date(), "full", locale=locale),
        "start": format_time(local_start, "short", tzinfo=zone, locale=locale),
        "end": format_time(local_end, "short", tzinfo=zone, locale=locale),
    }
    if local_end.date() != local_start.date():
        return _("%(day)s, de %(start)s à %(end)s le lendemain", **values)
    return _("%(day)s, de %(start)s à %(end)s", **values)
