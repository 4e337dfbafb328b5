"""Kinds of notification: the core's own, declared here once, and the modules' (``ModuleManifest.notification_kinds``).

A kind is a stable dotted name (``core.membership_decision``, ``timebank.transfer_received``); people choose per kind
how they hear about it by e-mail (at once, in the daily digest, or not at all). In-app notifications are always kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

MEMBERSHIP_DECISION = "core.membership_decision"
ORGANISATION_INVITATION = "core.organisation_invitation"
NEW_MESSAGE = "core.new_message"
CONTENT_HIDDEN = "core.content_hidden"
CONTENT_REPORTED = "core.content_reported"  # to moderators (platformcoop/moderation)
# The organisations part of the core (platformcoop/organisations) names its kinds after itself.
ORGANISATION_PROPOSED = "organisation.proposed"
ORGANISATION_STATUS = "organisation.status"
ORGANISATION_STAFF = "organisation.staff"

# Every kind the core notifies about: a kind missing here still notifies, but nobody can choose how.
CORE_KINDS = {
    MEMBERSHIP_DECISION: _l("Réponse à ma demande pour rejoindre un territoire"),
    ORGANISATION_INVITATION: _l("Invitation à rejoindre une organisation"),
    ORGANISATION_PROPOSED: _l("Nouvelle organisation à valider (administrateurs)"),
    ORGANISATION_STATUS: _l("Décision sur une organisation dont je fais partie"),
    ORGANISATION_STAFF: _l("Nouvelle personne dans l'équipe d'une organisation"),
    NEW_MESSAGE: _l("Nouveau message dans une conversation"),
    CONTENT_REPORTED: _l("Contenu signalé par des membres (modérateurs)"),
    CONTENT_HIDDEN: _l("Un de mes contenus masqué par la modération"),
}


@dataclass(frozen=True)
class NotificationKind:
    name: str
    label: str
    group: str  # "" for the core, else the module's label


def _label(text) -> str:
    """Manifests give French labels as plain strings; translate them through the catalogues when possible."""
    return _(text) if isinstance(text, str) else str(text)


def notification_kinds(registry, module_names: set[str] | None = None) -> list[NotificationKind]:
    """The core's kinds, then those of the loaded modules (only ``module_names`` when given), in a stable order."""
    kinds = [NotificationKind(name, str(label), "") for name, label in CORE_KINDS.items()]
    for name, module in sorted(registry.modules.items()):
        if module_names is not None and name not in module_names:
            continue
        manifest = module.manifest
        kinds += [
            NotificationKind(kind, _label(label), _label(manifest.label))
            for kind, label in manifest.notification_kinds.items()
        ]
    return kinds
