"""Telling people about appointments: the one place the booking, the lifecycle and the reminders speak from.

Every notice goes through :func:`~platformcoop.notifications.service.notify` with an e-mail template
(``templates/email/bikerepair/<name>.txt``), so each person gets the e-mail at once, in the digest or not at all, as
they chose. Titles and e-mails are rendered in the recipient's language, with the times in the territory's local wall
time (never UTC).

Who is told (spec, "Notifications and reminders"): a new request or appointment → the repairer's staff, and the
resident gets a receipt ("demande envoyée" or "rendez-vous confirmé"); accepted, refused, another time proposed,
expired, cancelled by the staff, done → the resident; the resident's answer to a proposal or cancellation → the staff.
The actor is never told about their own step, with one exception: the resident's receipt of their own booking, which
is the confirmation (and the calendar invitation) they expect. A walk-in has no account: nobody is e-mailed, the other
staff are told.

Calendar: every e-mail to the resident about a time carries the appointment's ``.ics`` (one ``UID``); the ones that call
it off (refused, expired, cancelled) carry the ``CANCEL``: a resident's request is in their calendar from the receipt
on. The callers raise ``Appointment.ics_sequence`` each time the time changes or the appointment is called off.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_time
from flask import has_request_context, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from platformcoop.formatting import local_date, local_datetime
from platformcoop.notifications.service import notify
from plugins.bikerepair import calendar
from plugins.bikerepair.models import ACCEPTED, Appointment

KIND_RESIDENT = "bikerepair.appointment"
KIND_STAFF = "bikerepair.staff"


def N_(message: str) -> str:
    """Marks a message for extraction (a default keyword of pybabel); it is translated when a title is rendered."""
    return message


# to the resident
TITLE_SENT = N_("Demande de rendez-vous envoyée à %(repairer)s pour le %(when)s.")
TITLE_CONFIRMED = N_("Rendez-vous confirmé chez %(repairer)s le %(when)s.")
TITLE_ACCEPTED = N_("%(repairer)s confirme votre rendez-vous du %(when)s.")
TITLE_REFUSED = N_("%(repairer)s ne peut pas vous recevoir le %(when)s.")
TITLE_PROPOSED = N_("%(repairer)s vous propose un autre horaire : le %(when)s.")
TITLE_EXPIRED = N_("Votre demande de rendez-vous du %(when)s chez %(repairer)s est restée sans réponse.")
TITLE_CANCELLED_BY_STAFF = N_("%(repairer)s annule votre rendez-vous du %(when)s.")
TITLE_DONE = N_("%(repairer)s a noté la réparation du %(when)s.")
TITLE_REMINDER = N_("Rappel : votre rendez-vous chez %(repairer)s le %(when)s.")
# to the staff
TITLE_NEW_REQUEST = N_("Nouvelle demande de rendez-vous de %(name)s le %(when)s (%(service)s).")
TITLE_NEW_APPOINTMENT = N_("Nouveau rendez-vous de %(name)s le %(when)s (%(service)s).")
TITLE_PROPOSAL_ACCEPTED = N_("%(name)s accepte le nouvel horaire : le %(when)s.")
TITLE_PROPOSAL_DECLINED = N_("%(name)s refuse l'horaire proposé et annule son rendez-vous du %(when)s.")
TITLE_CANCELLED_BY_RESIDENT = N_("%(name)s annule son rendez-vous du %(when)s.")


def link(territory, endpoint: str, **values) -> str:
    """A link for a notification: local inside a request, a full address from the scheduler."""
    if has_request_context():
        return url_for(endpoint, territory=territory.slug, **values)
    from platformcoop.notifications.mail import absolute_url

    return absolute_url(endpoint, territory=territory.slug, **values)


def customer_name(appointment: Appointment) -> str:
    """Who booked: the resident's name, or the walk-in's."""
    resident = appointment.resident
    return resident.display_name if resident is not None else appointment.walk_in_name


def tell(
    user,
    kind: str,
    territory,
    appointment: Appointment,
    title: str,
    template: str,
    *,
    url: str,
    at: datetime | None = None,
    invitation: bool = False,
    **context,
) -> None:
    """Tell ``user`` about ``appointment``: ``title`` (a message id, rendered in their language with ``when``,
    ``repairer``, ``name`` and ``service``) and the e-mail ``bikerepair/<template>``. ``at`` is the time spoken of
    (default: the appointment's start); ``invitation`` attaches the ``.ics`` (a ``CANCEL`` once it no longer holds a
    place)."""
    if user is None or user.disabled:
        return
    locale = user.locale or "fr"
    at = at or appointment.starts_at
    values = {
        "when": local_datetime(at, territory, locale),
        "repairer": appointment.repairer.organisation.name,
        "name": customer_name(appointment),
        "service": appointment.service.name,
    }
    attachments = []
    if invitation:
        from platformcoop.notifications.mail import external

        with force_locale(locale):
            attachments = [calendar.attachment(territory, appointment, url=external(url), start=at)]
    notify(
        user,
        kind,
        territory,
        appointment,
        title=_l(title, **values),
        url=url,
        email_template=f"bikerepair/{template}",
        attachments=attachments,
        appointment=appointment,
        day=local_date(at, territory, "full", locale),
        time=format_time(at, "short", tzinfo=ZoneInfo(territory.timezone), locale=locale),
        with_invitation=bool(attachments),
        cancelling=bool(attachments) and not appointment.holds_place and appointment.status != "done",
        **values,
        **context,
    )


def tell_resident(territory, appointment: Appointment, title: str, template: str, *, skip=None, **context) -> None:
    """Tell the resident (not a walk-in, not ``skip``: the actor), linking to their appointments."""
    resident = appointment.resident
    if resident is None or resident.id == getattr(skip, "id", None):
        return
    context.setdefault("url", link(territory, "bikerepair.my_appointments"))
    tell(resident, KIND_RESIDENT, territory, appointment, title, template, **context)


def tell_staff(territory, appointment: Appointment, title: str, template: str, *, skip=None, **context) -> None:
    """Tell the repairer's staff (owners and employees) but ``skip`` (the actor), linking to the appointment's page in
    the back office."""
    url = link(
        territory, "bikerepair.staff_appointment", repairer_id=appointment.repairer_id, appointment_id=appointment.id
    )
    for member in appointment.repairer.organisation.staff:
        if member.user_id != getattr(skip, "id", None):
            tell(member.user, KIND_STAFF, territory, appointment, title, template, url=url, **context)


# -- the steps ---------------------------------------------------------------------------------------------------------


def booked(territory, appointment: Appointment, *, actor) -> None:
    """A new request (or appointment, when auto-accepted): the staff are told, the resident gets a receipt."""
    confirmed = appointment.status == ACCEPTED
    title = TITLE_NEW_APPOINTMENT if confirmed else TITLE_NEW_REQUEST
    tell_staff(territory, appointment, title, "new_request", skip=actor, confirmed=confirmed)
    tell_resident(
        territory,
        appointment,
        TITLE_CONFIRMED if confirmed else TITLE_SENT,
        "booked",
        invitation=True,
        confirmed=confirmed,
        by_staff=appointment.resident_id != getattr(actor, "id", None),
    )


def accepted(territory, appointment: Appointment, *, actor=None) -> None:
    tell_resident(territory, appointment, TITLE_ACCEPTED, "accepted", skip=actor, invitation=True)


def refused(territory, appointment: Appointment, *, actor=None) -> None:
    tell_resident(
        territory,
        appointment,
        TITLE_REFUSED,
        "refused",
        skip=actor,
        invitation=True,
        message=appointment.status_message,
    )


def proposed(territory, appointment: Appointment, *, actor=None) -> None:
    """Another time: the invitation moves to it (the resident may accept it from their appointments)."""
    tell_resident(
        territory,
        appointment,
        TITLE_PROPOSED,
        "proposed",
        skip=actor,
        at=appointment.proposed_starts_at,
        invitation=True,
        message=appointment.status_message,
        current=local_datetime(appointment.starts_at, territory, getattr(appointment.resident, "locale", None) or "fr"),
    )


def expired(territory, appointment: Appointment) -> None:
    tell_resident(territory, appointment, TITLE_EXPIRED, "expired", invitation=True)


def done(territory, appointment: Appointment, *, actor=None) -> None:
    """The repair is recorded: the resident is led to their bikes and booklets."""
    tell_resident(
        territory,
        appointment,
        TITLE_DONE,
        "done",
        skip=actor,
        url=link(territory, "bikerepair.my_bikes"),
        with_booklet=appointment.bike_id is not None,
    )


def proposal_answered(territory, appointment: Appointment, *, actor, accepted: bool) -> None:
    title = TITLE_PROPOSAL_ACCEPTED if accepted else TITLE_PROPOSAL_DECLINED
    tell_staff(territory, appointment, title, "proposal_answered", skip=actor, accepted=accepted)


def cancelled(territory, appointment: Appointment, *, actor, by_staff: bool) -> None:
    """Cancelled by the staff (with the reason) → the resident, with the ``CANCEL``; by the resident → the staff."""
    if by_staff:
        tell_resident(
            territory,
            appointment,
            TITLE_CANCELLED_BY_STAFF,
            "cancelled",
            skip=actor,
            invitation=True,
            reason=appointment.status_message,
        )
    else:
        tell_staff(
            territory,
            appointment,
            TITLE_CANCELLED_BY_RESIDENT,
            "cancelled_by_resident",
            skip=actor,
            reason=appointment.status_message,
        )


def reminder(territory, appointment: Appointment, *, soon: bool) -> None:
    """The day-before reminder, or the one shortly before (``soon``), with the invitation."""
    tell_resident(territory, appointment, TITLE_REMINDER, "reminder", invitation=True, soon=soon)
