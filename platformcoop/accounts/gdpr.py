"""GDPR: a person may take their data away (export) and leave for good (erasure).

**Export** gathers into a ZIP of JSON files the account (profile, memberships and roles, organisations worked for,
notification preferences, in-app notifications), the files they uploaded, what every module enabled in each of the
person's territories holds about them (``pc_user_data_export``) and their messages.

**Erasure** is irreversible and keeps other people's history intact. The ``User`` row stays, anonymised
("Ancien membre", an undeliverable address, no password), so that every shared record pointing to it — a time-bank
transfer, a past appointment, a message in a conversation — still points somewhere and still adds up. Modules
anonymise their own rows through ``pc_user_erased``, messaging signs their messages "Ancien membre"; what concerns
nobody else (memberships and their roles, organisation staff places, notifications, preferences, profile photo and
private files) is deleted. The caller commits once: everything happens, or nothing does.

Messaging, uploads and organisations are reached through :func:`optional`, so that this file works on a deployment
(or a branch) without them.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from platformcoop import audit
from platformcoop.accounts.models import User, new_session_token
from platformcoop.accounts.passwords import verify_password
from platformcoop.accounts.services import AccountError
from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.media.services import erase_user_uploads, export_user_uploads
from platformcoop.messaging.services import erase_user_messages, export_user_messages
from platformcoop.notifications.mail import send_email
from platformcoop.notifications.models import (
    OUTBOX_SENDING,
    Notification,
    NotificationPreference,
    OutboxAttachment,
    OutboxMessage,
)
from platformcoop.organisations.models import OrganisationStaff
from platformcoop.plugins.manager import Registry
from platformcoop.tenancy import territory_context
from platformcoop.tenancy.models import Territory

# What an erased account shows wherever others still see it (stored data, like any display name).
ERASED_DISPLAY_NAME = "Ancien membre"
# Never a valid Argon2 hash, so no password can match it.
UNUSABLE_PASSWORD = "!erased"


def erased_email(user: User) -> str:
    """A unique address that can never receive mail (``.invalid`` is reserved by RFC 2606)."""
    return f"erased-{user.id}@invalid"


# -- export ---------------------------------------------------------------------------------------------------------


def export_filename(user: User) -> str:
    today = now().astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).date()
    return f"mes-donnees-platformcoop-{today.isoformat()}.zip"


def export_user_data(registry: Registry, user: User) -> bytes:
    """The ZIP archive of everything the platform holds about ``user`` (JSON files, dates in ISO 8601)."""
    files: dict[str, Any] = {"compte.json": account_data(user)}
    files["fichiers.json"] = {"uploads": export_user_uploads(user)}
    for territory in member_territories(user):
        for name, data in module_data(registry, territory, user):
            files[f"territoires/{territory.slug}/{name}.json"] = data
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("LISEZMOI.txt", _readme(user))
        for path, data in files.items():
            archive.writestr(path, to_json(data, origin=path))
    return buffer.getvalue()


def account_data(user: User) -> dict[str, Any]:
    notifications = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.created_at, Notification.id)
    ).all()
    preferences = db.session.scalars(
        select(NotificationPreference)
        .where(NotificationPreference.user_id == user.id)
        .order_by(NotificationPreference.kind)
    ).all()
    territories = {t.id: t.slug for t in db.session.scalars(select(Territory))}
    return {
        "exported_at": now(),
        "profile": {
            "email": user.email,
            "display_name": user.display_name,
            "phone": user.phone,
            "neighbourhood": user.neighbourhood,
            "locale": user.locale,
            "email_confirmed_at": user.email_confirmed_at,
            "created_at": user.created_at,
            "last_seen_at": user.last_seen_at,
            "is_superadmin": user.is_superadmin,
        },
        "memberships": [
            {
                "territory": m.territory.slug,
                "territory_name": m.territory.name,
                "status": m.status,
                "roles": sorted(m.roles),
                "request_message": m.request_message,
                "decision_message": m.decision_message,
                "created_at": m.created_at,
                "decided_at": m.decided_at,
            }
            for m in sorted(user.memberships, key=lambda m: m.territory.slug)
        ],
        "organisations": _organisations_worked_for(user),
        "notification_preferences": [
            {"kind": p.kind, "email": p.email, "daily_digest": p.daily_digest} for p in preferences
        ],
        "notifications": [
            {
                "territory": territories.get(n.territory_id),
                "kind": n.kind,
                "title": n.title,
                "url": n.url,
                "created_at": n.created_at,
                "read_at": n.read_at,
            }
            for n in notifications
        ],
    }


def _organisations_worked_for(user: User) -> list[dict[str, Any]]:
    places = db.session.scalars(
        select(OrganisationStaff).where(OrganisationStaff.user_id == user.id).order_by(OrganisationStaff.id)
    )
    return [
        {
            "territory": place.organisation.territory.slug,
            "organisation": place.organisation.name,
            "role": place.role,
            "since": place.created_at,
        }
        for place in places
    ]


def member_territories(user: User) -> list[Territory]:
    """Every territory the user has a membership in, whatever its status."""
    return sorted((m.territory for m in user.memberships), key=lambda t: t.slug)


def module_data(registry: Registry, territory: Territory, user: User) -> Iterator[tuple[str, Any]]:
    """(name, data) of the core and of every module ``territory`` has enabled, then the messages."""
    with territory_context(territory):
        for name, plugin in _exporting_plugins(registry, territory):
            others = [p for p in registry.pm.get_plugins() if p is not plugin]
            caller = registry.pm.subset_hook_caller("pc_user_data_export", remove_plugins=others)
            for data in caller(territory=territory, user=user):
                if data is not None:
                    yield name, data
        yield "messages", export_user_messages(territory, user)


def _exporting_plugins(registry: Registry, territory: Territory) -> list[tuple[str, Any]]:
    core = [(registry.pm.get_name(plugin) or "core", plugin) for plugin in registry.core_plugins]
    enabled = registry.enabled_names(territory)
    modules = [(name, module.plugin) for name, module in sorted(registry.modules.items()) if name in enabled]
    return core + modules


def _readme(user: User) -> str:
    with force_locale(user.locale):
        return "\n\n".join(
            [
                _("Vos données sur PlatformCoop, exportées le %(date)s.", date=now().date().isoformat()),
                _(
                    "compte.json : votre profil, vos territoires et vos rôles, les organisations pour lesquelles vous "
                    "agissez, vos préférences de notification et vos notifications ; fichiers.json : les fichiers "
                    "que vous avez envoyés."
                ),
                _(
                    "territoires/<territoire>/<module>.json : ce que chaque module garde à votre sujet dans ce "
                    "territoire ; messages.json : vos conversations."
                ),
                _("Les dates sont au format ISO 8601, en temps universel (UTC)."),
            ]
        )


def to_json(data: Any, origin: str = "") -> str:
    """JSON text; dates and times in ISO 8601. Other types a module returns must be JSON-serialisable."""
    try:
        return json.dumps(data, default=_json_default, ensure_ascii=False, indent=2, sort_keys=True)
    except TypeError as error:
        raise TypeError(f"personal data export {origin}: {error}") from error


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID | PurePath):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if type(value).__name__ == "LazyString":  # flask_babel.lazy_gettext
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# -- erasure --------------------------------------------------------------------------------------------------------


def erase_account(registry: Registry, user: User, password: str) -> None:
    """The person asked to leave: check their password, then erase (irreversible). The caller commits."""
    if user.is_erased:
        raise AccountError(_("Ce compte est déjà supprimé."))
    if not verify_password(user.password_hash, password):
        raise AccountError(_("Le mot de passe n'est pas le bon."))
    erase_user(registry, user)


def erase_user(registry: Registry, user: User) -> None:
    """Erase ``user``'s personal data everywhere, keeping shared records consistent. The caller commits.

    Every loaded module is asked in every territory, enabled there or not: a switched-off module keeps its data
    and would bring the person back when switched on again.
    """
    for territory in db.session.scalars(select(Territory).order_by(Territory.id)):
        with territory_context(territory):
            registry.pm.hook.pc_user_erased(territory=territory, user=user)
            erase_user_messages(territory, user)
    _forget_emails_to(user.email)
    _say_goodbye(user)  # to the address we are about to erase
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(delete(NotificationPreference).where(NotificationPreference.user_id == user.id))
    # The organisations keep their other staff, and their history.
    db.session.execute(delete(OrganisationStaff).where(OrganisationStaff.user_id == user.id))
    erase_user_uploads(user)  # profile photo and private files; public files of shared content stay
    user.memberships.clear()  # and their roles (delete-orphan)
    _anonymise(user)
    audit.record("account.erased", actor=user, obj=user)
    db.session.flush()


def _forget_emails_to(address: str) -> None:
    """E-mails kept in the outbox hold the person's name and address: delete them, and those still waiting (the person
    asked to hear no more). One being sent right now is left to its sender."""
    doomed = select(OutboxMessage.id).where(OutboxMessage.recipient == address, OutboxMessage.status != OUTBOX_SENDING)
    # Attachments first: SQLite does not enforce ON DELETE CASCADE.
    db.session.execute(delete(OutboxAttachment).where(OutboxAttachment.message_id.in_(doomed)))
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(doomed)))


def _say_goodbye(user: User) -> None:
    send_email(
        user.email,
        _l("Votre compte est supprimé"),
        "account_erased",
        locale=user.locale,
        name=user.display_name,
    )


def _anonymise(user: User) -> None:
    user.display_name = ERASED_DISPLAY_NAME
    user.email = erased_email(user)  # frees the old address: it may register again
    user.password_hash = UNUSABLE_PASSWORD
    user.phone = None
    user.neighbourhood = None
    user.locale = current_app.config["DEFAULT_LOCALE"]
    user.email_confirmed_at = None
    user.last_seen_at = None
    user.is_superadmin = False
    user.disabled = True
    user.session_token = new_session_token()  # every session and "remember me" cookie dies
    user.erased_at = now()
