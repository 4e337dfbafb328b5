"""Territory rules: creating one, enabling modules, module settings, membership."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _
from sqlalchemy import select

from platformcoop import audit
from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.plugins.manager import Registry
from platformcoop.plugins.manifest import SettingsError, validate_settings
from platformcoop.tenancy.models import (
    JOIN_OPEN,
    MEMBERSHIP_ACTIVE,
    MEMBERSHIP_DECLINED,
    MEMBERSHIP_PENDING,
    TERRITORY_KINDS,
    Membership,
    MembershipRole,
    Territory,
    TerritoryModule,
)

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class TerritoryError(ValueError):
    """A rule about territories was broken; the message is translated and meant for the user."""


# -- territories ----------------------------------------------------------------------------------------------------


def create_territory(
    registry: Registry,
    *,
    slug: str,
    name: str,
    kind: str = "commune",
    timezone: str = "Europe/Paris",
    locale: str = "fr",
    join_policy: str = JOIN_OPEN,
    modules: list[str] | None = None,
    actor=None,
    **branding: Any,
) -> Territory:
    """Create a territory and enable ``modules`` (default: every module enabled by default in its manifest)."""
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise TerritoryError(_("L'identifiant ne peut contenir que des minuscules, des chiffres et des tirets."))
    from platformcoop.plugins.manager import RESERVED_SEGMENTS

    if slug in RESERVED_SEGMENTS or slug in {"plateforme", "compte", "media"}:
        raise TerritoryError(_("Cet identifiant est réservé."))
    if db.session.scalar(select(Territory.id).where(Territory.slug == slug)):
        raise TerritoryError(_("Un territoire porte déjà cet identifiant."))
    if kind not in TERRITORY_KINDS:
        raise TerritoryError(_("Type de collectivité inconnu."))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise TerritoryError(_("Fuseau horaire inconnu."))
    territory = Territory(
        slug=slug, name=name, kind=kind, timezone=timezone, locale=locale, join_policy=join_policy, **branding
    )
    db.session.add(territory)
    db.session.flush()
    if modules is None:
        modules = [n for n, m in registry.modules.items() if m.manifest.default_enabled]
    for module_name in _with_requirements(registry, modules):
        _module_row(registry, territory, module_name).enabled = True
    audit.record("territory.created", actor=actor, territory=territory, obj=territory)
    db.session.flush()
    registry.forget_enabled(territory)
    registry.hook(territory, "pc_territory_created")(territory=territory)
    return territory


def _with_requirements(registry: Registry, names: list[str]) -> list[str]:
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name not in registry.modules:
            raise TerritoryError(_("Module inconnu : %(name)s.", name=name))
        for requirement in registry.modules[name].manifest.requires:
            visit(requirement)
        ordered.append(name)

    for name in names:
        visit(name)
    return ordered


# -- modules ----------------------------------------------------------------------------------------------------------


def enabled_module_names(territory: Territory) -> set[str]:
    return set(
        db.session.scalars(
            select(TerritoryModule.module).where(
                TerritoryModule.territory_id == territory.id, TerritoryModule.enabled.is_(True)
            )
        )
    )


def _module_row(registry: Registry, territory: Territory, name: str) -> TerritoryModule:
    row = db.session.scalar(
        select(TerritoryModule).where(TerritoryModule.territory_id == territory.id, TerritoryModule.module == name)
    )
    if row is None:
        row = TerritoryModule(
            territory_id=territory.id,
            module=name,
            enabled=False,
            settings=registry.modules[name].manifest.defaults(),
        )
        db.session.add(row)
    return row


def enable_module(registry: Registry, territory: Territory, name: str, actor=None) -> None:
    if name not in registry.modules:
        raise TerritoryError(_("Module inconnu : %(name)s.", name=name))
    enabled = registry.enabled_names(territory)
    if name in enabled:
        return  # a repeated request (double click, two tabs) must not run the module's setup twice
    missing = [r for r in registry.modules[name].manifest.requires if r not in enabled]
    if missing:
        labels = ", ".join(registry.modules[r].manifest.label for r in missing)
        raise TerritoryError(_("Activez d'abord : %(labels)s.", labels=labels))
    _module_row(registry, territory, name).enabled = True
    audit.record("module.enabled", actor=actor, territory=territory, module=name)
    db.session.flush()
    registry.forget_enabled(territory)
    registry.call_for(registry.modules[name], "pc_module_enabled", territory=territory)


def disable_module(registry: Registry, territory: Territory, name: str, actor=None) -> None:
    if name not in registry.modules:
        raise TerritoryError(_("Module inconnu : %(name)s.", name=name))
    if name not in registry.enabled_names(territory):
        return
    dependants = [
        m.manifest.label
        for n, m in registry.modules.items()
        if name in m.manifest.requires and n in registry.enabled_names(territory)
    ]
    if dependants:
        raise TerritoryError(
            _("Ce module est utilisé par : %(labels)s. Désactivez-les d'abord.", labels=", ".join(dependants))
        )
    _module_row(registry, territory, name).enabled = False
    audit.record("module.disabled", actor=actor, territory=territory, module=name)
    db.session.flush()
    registry.forget_enabled(territory)
    registry.call_for(registry.modules[name], "pc_module_disabled", territory=territory)


def module_settings(registry: Registry, territory: Territory, name: str) -> dict[str, Any]:
    """The module's settings for ``territory``, defaults filled in."""
    manifest = registry.modules[name].manifest
    row = db.session.scalar(
        select(TerritoryModule).where(TerritoryModule.territory_id == territory.id, TerritoryModule.module == name)
    )
    stored = dict(row.settings or {}) if row else {}
    values = manifest.defaults()
    values.update({k: v for k, v in stored.items() if k in values})
    return values


def update_module_settings(
    registry: Registry, territory: Territory, name: str, values: dict[str, Any], actor=None
) -> dict[str, Any]:
    """Validate and store settings; raises :class:`SettingsError` and stores nothing when any value is invalid."""
    manifest = registry.modules[name].manifest
    cleaned = validate_settings(manifest, values)
    row = _module_row(registry, territory, name)
    before = dict(row.settings or {})
    row.settings = cleaned
    changed = {k: v for k, v in cleaned.items() if before.get(k) != v}
    audit.record("module.settings_changed", actor=actor, territory=territory, module=name, changed=changed)
    return cleaned


# -- membership -----------------------------------------------------------------------------------------------------


def join_territory(territory: Territory, user, message: str = "") -> Membership:
    """Ask to join: immediate when the territory is open, pending an admin's decision otherwise."""
    membership = user.membership_in(territory)
    if membership is not None:
        if membership.status == MEMBERSHIP_DECLINED:
            membership.status = MEMBERSHIP_PENDING
            membership.request_message = message
            membership.created_at = now()
            _apply_join_policy(territory, membership)
            return membership
        raise TerritoryError(_("Vous avez déjà une demande ou une adhésion pour ce territoire."))
    membership = Membership(user=user, territory=territory, status=MEMBERSHIP_PENDING, request_message=message)
    db.session.add(membership)
    _apply_join_policy(territory, membership)
    return membership


def _apply_join_policy(territory: Territory, membership: Membership) -> None:
    if territory.join_policy == JOIN_OPEN:
        _activate(membership, decided_by=None)


def _activate(membership: Membership, decided_by) -> None:
    membership.status = MEMBERSHIP_ACTIVE
    membership.decided_at = now()
    membership.decided_by_id = getattr(decided_by, "id", None)
    if "resident" not in membership.roles:
        membership.role_rows.append(MembershipRole(role="resident"))


def approve_membership(membership: Membership, admin, message: str = "") -> None:
    if membership.status != MEMBERSHIP_PENDING:
        raise TerritoryError(_("Cette demande a déjà été traitée."))
    _activate(membership, decided_by=admin)
    membership.decision_message = message
    audit.record("membership.approved", actor=admin, territory=membership.territory, obj=membership)


def decline_membership(membership: Membership, admin, message: str = "") -> None:
    if membership.status != MEMBERSHIP_PENDING:
        raise TerritoryError(_("Cette demande a déjà été traitée."))
    membership.status = MEMBERSHIP_DECLINED
    membership.decided_at = now()
    membership.decided_by_id = admin.id
    membership.decision_message = message
    audit.record("membership.declined", actor=admin, territory=membership.territory, obj=membership)


def grant_role(membership: Membership, role: str, actor=None) -> None:
    if role not in membership.roles:
        membership.role_rows.append(MembershipRole(role=role))
        audit.record("membership.role_granted", actor=actor, territory=membership.territory, obj=membership, role=role)


def add_member(territory: Territory, user, roles: tuple[str, ...] = ("resident",)) -> Membership:
    """Make ``user`` an active member with ``roles`` (CLI, demo, tests)."""
    membership = user.membership_in(territory)
    if membership is None:
        membership = Membership(user=user, territory=territory)
        db.session.add(membership)
    _activate(membership, decided_by=None)
    for role in roles:
        grant_role(membership, role)
    return membership


__all__ = [
    "SettingsError",
    "TerritoryError",
    "add_member",
    "approve_membership",
    "create_territory",
    "decline_membership",
    "disable_module",
    "enable_module",
    "grant_role",
    "join_territory",
    "module_settings",
    "update_module_settings",
]
