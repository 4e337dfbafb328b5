"""A repairer's own settings, changed by its owners from the back office: setting up booking, the booking rules, the
profile (what it repairs, where it goes, how it is paid), its services and its photos.

The name, address and description stay the core organisation's (edited on the core's pages); this module keeps only
what is bike-repair specific. Every change is audited. Services never commit.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from platformcoop import audit
from platformcoop.extensions import db
from platformcoop.media.services import delete_upload, store_image
from platformcoop.organisations.models import ACTIVE
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy.services import module_settings
from plugins.bikerepair.models import (
    BIKE_TYPES,
    GRID_STEPS,
    MAX_BUFFER_MINUTES,
    MAX_CAPACITY,
    REPAIRER_KINDS,
    Repairer,
    RepairerPhoto,
    RepairService,
)

REPAIRER_ORGANISATION_KIND = "repairer"
MAX_SERVICE_MINUTES = 480
MAX_NOTICE_MINUTES = 10080  # a week
MAX_HORIZON_DAYS = 365
MAX_EXPIRY_HOURS = 240
MAX_DEADLINE_HOURS = 720

RULE_FIELDS = (
    "grid_minutes",
    "capacity",
    "buffer_minutes",
    "notice_minutes",
    "horizon_days",
    "auto_accept",
    "pending_expiry_hours",
    "cancel_deadline_hours",
)
PROFILE_FIELDS = ("kind", "bike_types", "served_communes", "radius_km", "payment_notes", "enabled")
SERVICE_FIELDS = ("name", "duration_minutes", "price_cents", "active", "position")


class RepairerError(ValueError):
    """A refused change; the message is French text for the owner."""


def settings(territory) -> dict:
    return module_settings(get_registry(), territory, "bikerepair")


def repairer_of(organisation) -> Repairer | None:
    return db.session.scalar(select(Repairer).where(Repairer.organisation_id == organisation.id))


def ensure_repairer(territory, organisation, actor=None) -> Repairer:
    """The organisation's repairer row, created with the default rules the first time its owner opens booking
    (pending requests expire after the territory's ``pending_expiry_hours``)."""
    if organisation.territory_id != territory.id or organisation.kind != REPAIRER_ORGANISATION_KIND:
        raise RepairerError(_("Seul un réparateur de vélos peut ouvrir la prise de rendez-vous."))
    if organisation.status != ACTIVE:
        raise RepairerError(_("Cette organisation n'est pas active sur la plateforme."))
    repairer = repairer_of(organisation)
    if repairer is not None:
        return repairer
    repairer = Repairer(
        territory_id=territory.id,
        organisation_id=organisation.id,
        pending_expiry_hours=int(settings(territory).get("pending_expiry_hours") or 72),
        enabled=True,
    )
    db.session.add(repairer)
    db.session.flush()
    audit.record("bikerepair.repairer_opened", actor=actor, territory=territory, obj=repairer)
    return repairer


# -- rules -------------------------------------------------------------------------------------------------------------


def _check_rules(values: dict) -> None:
    """The bounds of the rules (the form says them first; this keeps a direct call from storing nonsense)."""
    checks = (
        (values["grid_minutes"] in GRID_STEPS, _("Le pas des créneaux est de 15, 30 ou 60 minutes.")),
        (1 <= values["capacity"] <= MAX_CAPACITY, _("Entre 1 et %(max)d places en parallèle.", max=MAX_CAPACITY)),
        (0 <= values["buffer_minutes"] <= MAX_BUFFER_MINUTES, _("Battement entre 0 et 240 minutes.")),
        (0 <= values["notice_minutes"] <= MAX_NOTICE_MINUTES, _("Délai de prévenance trop long.")),
        (1 <= values["horizon_days"] <= MAX_HORIZON_DAYS, _("Horizon entre 1 et 365 jours.")),
        (1 <= values["pending_expiry_hours"] <= MAX_EXPIRY_HOURS, _("Expiration entre 1 et 240 heures.")),
        (0 <= values["cancel_deadline_hours"] <= MAX_DEADLINE_HOURS, _("Délai d'annulation entre 0 et 720 heures.")),
    )
    for ok, message in checks:
        if not ok:
            raise RepairerError(message)


def update_rules(territory, repairer: Repairer, values: dict, actor) -> dict:
    """Change the booking rules; returns what changed (old, new). Existing appointments keep their place (they
    carry their own end and buffer)."""
    _check_scope(territory, repairer)
    values = {field: values[field] for field in RULE_FIELDS}
    _check_rules(values)
    changes = _apply(repairer, values)
    if changes:
        audit.record("bikerepair.rules_changed", actor=actor, territory=territory, obj=repairer, changes=changes)
    return changes


# -- profile -----------------------------------------------------------------------------------------------------------


def update_profile(territory, repairer: Repairer, values: dict, actor) -> dict:
    _check_scope(territory, repairer)
    values = {field: values[field] for field in PROFILE_FIELDS}
    if values["kind"] not in REPAIRER_KINDS:
        raise RepairerError(_("Choisissez un type de réparateur."))
    values["bike_types"] = [key for key in BIKE_TYPES if key in (values["bike_types"] or [])]
    values["served_communes"] = (values["served_communes"] or "").strip()
    values["payment_notes"] = (values["payment_notes"] or "").strip()
    if values["radius_km"] is not None and not 0 <= values["radius_km"] <= 200:
        raise RepairerError(_("Le rayon d'intervention est entre 0 et 200 km."))
    changes = _apply(repairer, values)
    if changes:
        audit.record("bikerepair.profile_changed", actor=actor, territory=territory, obj=repairer, changes=changes)
    return changes


def add_photo(territory, repairer: Repairer, image, caption: str, actor) -> RepairerPhoto:
    """A public photo of the workshop (``image``: what an ``ImageField`` prepared, or a file)."""
    _check_scope(territory, repairer)
    upload = store_image(image, territory, actor, private=False, purpose="bikerepair.repairer")
    last = db.session.scalar(select(func.max(RepairerPhoto.position)).where(RepairerPhoto.repairer_id == repairer.id))
    photo = RepairerPhoto(
        territory_id=territory.id,
        repairer_id=repairer.id,
        upload_id=upload.id,
        caption=(caption or "").strip()[:200],
        position=(last or 0) + 1,
    )
    db.session.add(photo)
    db.session.flush()
    audit.record("bikerepair.photo_added", actor=actor, territory=territory, obj=repairer, photo_id=photo.id)
    return photo


def remove_photo(territory, repairer: Repairer, photo: RepairerPhoto, actor) -> None:
    _check_scope(territory, repairer)
    if photo.repairer_id != repairer.id:
        raise RepairerError(_("Photo introuvable."))
    audit.record("bikerepair.photo_removed", actor=actor, territory=territory, obj=repairer, photo_id=photo.id)
    upload = photo.upload
    db.session.delete(photo)
    if upload is not None:
        delete_upload(upload)


# -- services ----------------------------------------------------------------------------------------------------------


def _check_service(values: dict) -> dict:
    values = {field: values[field] for field in SERVICE_FIELDS}
    values["name"] = (values["name"] or "").strip()[:120]
    if not values["name"]:
        raise RepairerError(_("Indiquez le nom de la prestation."))
    if not 5 <= (values["duration_minutes"] or 0) <= MAX_SERVICE_MINUTES:
        raise RepairerError(_("Une prestation dure entre 5 et 480 minutes."))
    if values["price_cents"] is not None and values["price_cents"] < 0:
        raise RepairerError(_("Le prix ne peut pas être négatif."))
    values["position"] = values["position"] or 0
    return values


def add_service(territory, repairer: Repairer, values: dict, actor) -> RepairService:
    _check_scope(territory, repairer)
    service = RepairService(territory_id=territory.id, repairer_id=repairer.id, **_check_service(values))
    db.session.add(service)
    db.session.flush()
    audit.record("bikerepair.service_added", actor=actor, territory=territory, obj=service, name=service.name)
    return service


def update_service(territory, repairer: Repairer, service: RepairService, values: dict, actor) -> dict:
    """Change a service; booked appointments keep their times (their end is stored)."""
    _check_scope(territory, repairer)
    if service.repairer_id != repairer.id:
        raise RepairerError(_("Prestation introuvable."))
    changes = _apply(service, _check_service(values))
    if changes:
        audit.record("bikerepair.service_changed", actor=actor, territory=territory, obj=service, changes=changes)
    return changes


# -- helpers -----------------------------------------------------------------------------------------------------------


def _check_scope(territory, repairer: Repairer) -> None:
    if repairer.territory_id != territory.id:
        raise RepairerError(_("Réparateur introuvable."))


def _apply(row, values: dict) -> dict:
    """Set ``values`` on ``row``; returns ``{field: [old, new]}`` for what changed (JSON-friendly, for the audit)."""
    changes = {}
    for field, value in values.items():
        old = getattr(row, field)
        if old != value:
            changes[field] = [old, value]
            setattr(row, field, value)
    db.session.flush()
    return changes
