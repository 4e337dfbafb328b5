"""Childcare (garde d'enfants): vetting, children and emergency contact, sessions from request to confirmation.

One module per concern: ``rules`` (time, credited minutes, weekly cap, who sees what, labels), ``vetting``,
``family`` (children, emergency contact), ``sessions`` (the transitions), ``queries``, ``reminders`` (the scheduler's
sweep), ``notices`` (notifications, e-mails, calendar invitations), ``personal_data`` (export and erasure). The other
parts of the module import from here.

Who may offer childcare (``Account.childcare_status``)::

    from              action (who)                         to
    none, refused     request_vetting (the member)         requested
    requested         verify (a coordinator)               verified   (who and when are kept)
    requested         refuse (a coordinator, a note)       refused
    verified          withdraw (a coordinator, a note)     refused    (their upcoming sessions are cancelled)

A session (``Session.status``)::

    from                 action (who)                                  to
    -                    book_session (the parent)                     requested
    requested            accept_session (the caregiver)                accepted   (.ics to both)
    requested            decline_session (the caregiver)               declined
    requested, accepted  cancel_session (either, before the start)     cancelled  (late_cancel: accepted, < N hours)
    requested            sweep: the start passed without an answer     cancelled
    accepted             declare_session (the caregiver, after end)    declared   (actual times, credited minutes)
    declared             confirm_session (the parent)                  confirmed  + one transfer parent -> caregiver
    declared             dispute_session (the parent, a reason)        disputed
    declared             sweep at the deadline: auto_confirm           confirmed (auto_confirmed) + one transfer,
                                                                       or disputed when a balance limit refuses it
    declared             sweep at the deadline: expire                 expired
    disputed             settle_session (a coordinator, a duration)    settled    + one transfer
    disputed             void_session (a coordinator, a note)          voided

Services never commit. Refusals raise ``TimebankError`` (French); ``NotAllowed`` when the person may see the session
but not do this (the views answer 403); ``StaleSession`` when it changed meanwhile (409).
"""

from plugins.timebank.childcare.family import (
    add_child,
    booking_obstacles,
    children_of,
    delete_child,
    set_emergency_contact,
    update_child,
)
from plugins.timebank.childcare.personal_data import erase_childcare, export_childcare
from plugins.timebank.childcare.queries import MySessions, disputed_sessions, late_cancellations, sessions_of
from plugins.timebank.childcare.reminders import sweep
from plugins.timebank.childcare.rules import (
    PLACE_LABELS,
    STATUS_LABELS,
    VETTING_LABELS,
    NotAllowed,
    StaleSession,
    birth_year_error,
    child_age_label,
    confirmation_deadline,
    credited_minutes,
    has_emergency_contact,
    is_coordinator,
    local_instant,
    local_interval,
    may_offer_childcare,
    may_view,
    period_label,
    phone_error,
    planned_minutes_in_week,
    role_of,
    round_to_step,
    shows_child_ages,
    shows_child_details,
    weighted_minutes,
)
from plugins.timebank.childcare.sessions import (
    accept_session,
    auto_confirm,
    book_session,
    cancel_session,
    childcare_category_id,
    confirm_session,
    declare_session,
    decline_session,
    dispute_session,
    expire,
    settle_session,
    void_session,
)
from plugins.timebank.childcare.vetting import (
    refuse,
    request_vetting,
    verified_caregivers,
    verify,
    vetting_requests,
    withdraw,
)

__all__ = [
    "PLACE_LABELS",
    "STATUS_LABELS",
    "VETTING_LABELS",
    "MySessions",
    "NotAllowed",
    "StaleSession",
    "accept_session",
    "add_child",
    "auto_confirm",
    "birth_year_error",
    "book_session",
    "booking_obstacles",
    "cancel_session",
    "child_age_label",
    "childcare_category_id",
    "children_of",
    "confirm_session",
    "confirmation_deadline",
    "credited_minutes",
    "declare_session",
    "decline_session",
    "delete_child",
    "dispute_session",
    "disputed_sessions",
    "erase_childcare",
    "expire",
    "export_childcare",
    "has_emergency_contact",
    "is_coordinator",
    "late_cancellations",
    "local_instant",
    "local_interval",
    "may_offer_childcare",
    "may_view",
    "period_label",
    "phone_error",
    "planned_minutes_in_week",
    "refuse",
    "request_vetting",
    "role_of",
    "round_to_step",
    "sessions_of",
    "set_emergency_contact",
    "settle_session",
    "shows_child_ages",
    "shows_child_details",
    "sweep",
    "update_child",
    "verified_caregivers",
    "verify",
    "vetting_requests",
    "void_session",
    "weighted_minutes",
    "withdraw",
]
