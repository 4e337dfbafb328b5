"""How each person hears about each kind of notification by e-mail: at once, in the daily digest, or not at all.

In-app notifications are always kept. No preference row means the default: an e-mail at once.
The choice is stored in ``NotificationPreference`` as two flags: ``email`` (off: no e-mail) and ``daily_digest``.
"""

from __future__ import annotations

from sqlalchemy import select

from platformcoop.extensions import db
from platformcoop.notifications.models import NotificationPreference

IMMEDIATE = "immediate"
DIGEST = "digest"
NO_EMAIL = "none"
CHOICES = (IMMEDIATE, DIGEST, NO_EMAIL)
DEFAULT = IMMEDIATE


def _choice_of(preference: NotificationPreference | None) -> str:
    if preference is None:
        return DEFAULT
    if not preference.email:
        return NO_EMAIL
    return DIGEST if preference.daily_digest else IMMEDIATE


def email_choice(user, kind: str) -> str:
    preference = db.session.scalar(
        select(NotificationPreference).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind == kind
        )
    )
    return _choice_of(preference)


def email_choices(user) -> dict[str, str]:
    """Every kind ``user`` chose something for (others are :data:`DEFAULT`)."""
    rows = db.session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    return {row.kind: _choice_of(row) for row in rows}


def set_email_choices(user, choices: dict[str, str]) -> None:
    """Record ``{kind: choice}`` for ``user``. The caller commits."""
    unknown = {choice for choice in choices.values() if choice not in CHOICES}
    if unknown:
        raise ValueError(f"unknown e-mail choice(s): {', '.join(sorted(unknown))}")
    existing = {
        row.kind: row
        for row in db.session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    }
    for kind, choice in choices.items():
        row = existing.get(kind)
        if row is None:
            row = NotificationPreference(user_id=user.id, kind=kind)
            db.session.add(row)
        row.email = choice != NO_EMAIL
        row.daily_digest = choice == DIGEST
