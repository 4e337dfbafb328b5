"""Territory administration rules: members' status and roles, the territory's identity and pages.

Membership states handled here (joining, approving and declining live in ``platformcoop.tenancy.services``):

    ===========  ============  ==========  ==========================================
    from         transition    to          guard
    ===========  ============  ==========  ==========================================
    active       suspend       suspended   not oneself; the territory keeps an admin
    suspended    reactivate    active      —
    ===========  ============  ==========  ==========================================

Every change writes an audit entry (the reason of a suspension lives there; ``decided_at`` stays the date the
person was accepted, which the membership figures count). The "at least one administrator" rule is checked under a
lock on the territory row, so two administrators demoting each other at once cannot leave the territory without one.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from platformcoop import audit
from platformcoop.extensions import db
from platformcoop.plugins.manager import Registry
from platformcoop.tenancy.models import (
    CORE_ROLES,
    JOIN_APPROVAL,
    JOIN_OPEN,
    MEMBERSHIP_ACTIVE,
    MEMBERSHIP_SUSPENDED,
    Membership,
    MembershipRole,
    Territory,
)

CORE_ROLE_LABELS = {
    "resident": _l("Habitant"),
    "moderator": _l("Modérateur"),
    "admin": _l("Administrateur"),
}

MEMBERSHIP_STATUS_LABELS = {
    "pending": _l("En attente"),
    "active": _l("Actif"),
    "suspended": _l("Suspendu"),
    "declined": _l("Refusé"),
}

JOIN_POLICY_LABELS = {
    JOIN_OPEN: _l("Ouverte : toute personne inscrite devient membre aussitôt"),
    JOIN_APPROVAL: _l("Sur validation : un administrateur accepte chaque demande"),
}


class AdminError(ValueError):
    """A rule of the administration was broken; the message is French and meant for the user."""


def lock_territory(territory: Territory) -> None:
    """Serialise writers of one territory until the transaction ends.

    PostgreSQL: a row lock (``SELECT … FOR UPDATE``). SQLite has no row locks, but a write takes its database-wide
    write lock, so a no-op update of the row does the same job.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        table = Territory.__table__
        db.session.execute(update(table).where(table.c.id == territory.id).values(id=table.c.id))
    else:
        db.session.execute(select(Territory.id).where(Territory.id == territory.id).with_for_update())


# -- roles -------------------------------------------------------------------------------------------------------------


def role_names(roles, labels: dict[str, str]) -> list[str]:
    """The labels of ``roles`` in a stable order: the core's roles first, then the modules' (unknown ones last)."""
    known = [labels[role] for role in labels if role in roles]
    return known + sorted(role for role in roles if role not in labels)


def assignable_roles(registry: Registry) -> dict[str, str]:
    """Every role an administrator may give: the core's, then the loaded modules' (role -> label)."""
    roles = {role: str(CORE_ROLE_LABELS[role]) for role in CORE_ROLES}
    for module in sorted(registry.modules.values(), key=lambda m: m.name):
        roles.update(module.manifest.roles)
    return roles


def _active_admin_count(territory: Territory) -> int:
    return db.session.scalar(
        select(func.count(func.distinct(Membership.id)))
        .join(MembershipRole, MembershipRole.membership_id == Membership.id)
        .where(
            Membership.territory_id == territory.id,
            Membership.status == MEMBERSHIP_ACTIVE,
            MembershipRole.role == "admin",
        )
    )


def _keeps_an_admin(territory: Territory, membership: Membership, actor) -> None:
    """Refuse to take away the last active administrator (the caller holds the territory lock)."""
    if not (membership.is_active and "admin" in membership.roles):
        return
    if _active_admin_count(territory) <= 1:
        if getattr(actor, "id", None) == membership.user_id:
            raise AdminError(
                _("Vous êtes le dernier administrateur de ce territoire : nommez-en un autre avant de partir.")
            )
        raise AdminError(_("Ce territoire doit garder au moins un administrateur."))


def set_roles(registry: Registry, territory: Territory, membership: Membership, roles, actor) -> set[str]:
    """Give ``membership`` exactly ``roles`` (plus ``resident``, which every member holds). Returns the new set."""
    allowed = assignable_roles(registry)
    wanted = set(roles) | {"resident"}
    unknown = wanted - allowed.keys()
    if unknown:
        raise AdminError(_("Rôle inconnu : %(roles)s.", roles=", ".join(sorted(unknown))))
    if membership.status not in {MEMBERSHIP_ACTIVE, MEMBERSHIP_SUSPENDED}:
        raise AdminError(_("Seuls les membres acceptés peuvent recevoir des rôles."))
    current = membership.roles
    if wanted == current:
        return current
    lock_territory(territory)
    db.session.refresh(membership)  # what others committed before we got the lock
    current = membership.roles
    if wanted == current:
        return current
    if "admin" in current and "admin" not in wanted:
        _keeps_an_admin(territory, membership, actor)
    for row in list(membership.role_rows):
        if row.role not in wanted:
            membership.role_rows.remove(row)
    for role in sorted(wanted - current):
        membership.role_rows.append(MembershipRole(role=role))
    audit.record(
        "membership.roles_changed",
        actor=actor,
        territory=territory,
        obj=membership,
        user_id=membership.user_id,
        added=sorted(wanted - current),
        removed=sorted(current - wanted),
    )
    return wanted


# -- suspension ----------------------------------------------------------------------------------------------------


def suspend_membership(territory: Territory, membership: Membership, actor, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise AdminError(_("Indiquez le motif de la suspension."))
    if getattr(actor, "id", None) == membership.user_id:
        raise AdminError(_("Vous ne pouvez pas suspendre votre propre adhésion."))
    if membership.status != MEMBERSHIP_ACTIVE:
        raise AdminError(_("Seul un membre actif peut être suspendu."))
    lock_territory(territory)
    db.session.refresh(membership)
    if membership.status != MEMBERSHIP_ACTIVE:
        raise AdminError(_("Seul un membre actif peut être suspendu."))
    _keeps_an_admin(territory, membership, actor)
    membership.status = MEMBERSHIP_SUSPENDED
    audit.record(
        "membership.suspended",
        actor=actor,
        territory=territory,
        obj=membership,
        user_id=membership.user_id,
        reason=reason,
    )


def reactivate_membership(territory: Territory, membership: Membership, actor, reason: str = "") -> None:
    if membership.status != MEMBERSHIP_SUSPENDED:
        raise AdminError(_("Seul un membre suspendu peut être réactivé."))
    membership.status = MEMBERSHIP_ACTIVE
    audit.record(
        "membership.reactivated",
        actor=actor,
        territory=territory,
        obj=membership,
        user_id=membership.user_id,
        reason=reason,
    )


# -- identity and pages -----------------------------------------------------------------------------------------------

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST_WITH_WHITE = 4.5  # WCAG 2.1 AA for normal text: the header and buttons print white on the colour
# Links in the colour also sit on the light grey of callouts, unread notifications and the footer (``--surface`` in
# platformcoop/static/css/site.css; keep the two in step): the colour needs 4.5:1 against it too.
SURFACE_COLOUR = "#f3f5f7"

IDENTITY_FIELDS = (
    "name",
    "primary_color",
    "contact_email",
    "contact_phone",
    "welcome_text",
    "legal_notice",
    "terms",
    "privacy_policy",
    "accessibility_statement",
    "join_policy",
    "moderation_threshold",
)
MODERATION_THRESHOLD_RANGE = (1, 50)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_with_white(colour: str) -> float:
    return 1.05 / (relative_luminance(colour) + 0.05)


def contrast_with_surface(colour: str) -> float:
    return (relative_luminance(SURFACE_COLOUR) + 0.05) / (relative_luminance(colour) + 0.05)


def colour_problem(colour: str) -> str | None:
    """A French message when ``colour`` cannot be the territory's colour, else ``None``."""
    if not HEX_COLOUR.match(colour or ""):
        return _("Indiquez une couleur au format #RRVVBB, par exemple #1d5b79.")
    ratio = contrast_with_white(colour)
    if ratio < MIN_CONTRAST_WITH_WHITE:
        return _(
            "Cette couleur est trop claire : le texte blanc posé dessus serait difficile à lire "
            "(contraste de %(ratio)s pour 1, il faut au moins 4,5 pour 1). Choisissez une couleur plus foncée.",
            ratio=f"{ratio:.2f}".replace(".", ","),
        )
    ratio = contrast_with_surface(colour)
    if ratio < MIN_CONTRAST_WITH_WHITE:
        return _(
            "Cette couleur est trop claire : les liens de cette couleur seraient difficiles à lire sur le fond gris "
            "clair des encadrés et du pied de page (contraste de %(ratio)s pour 1, il faut au moins 4,5 pour 1). "
            "Choisissez une couleur plus foncée.",
            ratio=f"{ratio:.2f}".replace(".", ","),
        )
    return None


def update_identity(territory: Territory, values: dict[str, Any], actor) -> list[str]:
    """Store the territory's name, colour, contact, pages and policies; returns the names of the changed fields.

    Checks the rules a form cannot be trusted with; raises :class:`AdminError` and changes nothing otherwise.
    """
    unknown = set(values) - set(IDENTITY_FIELDS)
    if unknown:
        raise AdminError(_("Champ inconnu : %(names)s.", names=", ".join(sorted(unknown))))
    problem = colour_problem(values.get("primary_color", territory.primary_color))
    if problem:
        raise AdminError(problem)
    if values.get("join_policy", territory.join_policy) not in JOIN_POLICY_LABELS:
        raise AdminError(_("Ce choix n'est pas proposé."))
    low, high = MODERATION_THRESHOLD_RANGE
    threshold = values.get("moderation_threshold", territory.moderation_threshold)
    if not isinstance(threshold, int) or not low <= threshold <= high:
        raise AdminError(_("Le seuil doit être compris entre %(low)s et %(high)s.", low=low, high=high))
    if not (values.get("name", territory.name) or "").strip():
        raise AdminError(_("Indiquez le nom du territoire."))
    changed = [name for name in IDENTITY_FIELDS if name in values and getattr(territory, name) != values[name]]
    for name in changed:
        setattr(territory, name, values[name])
    if changed:
        audit.record("territory.identity_changed", actor=actor, territory=territory, obj=territory, fields=changed)
    return changed
