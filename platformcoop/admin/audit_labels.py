"""How the audit log's actions read in the administration (codes stay stable; labels are French msgids)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "territory.created": _l("Territoire créé"),
    "territory.identity_changed": _l("Identité ou pages du territoire modifiées"),
    "module.enabled": _l("Module activé"),
    "module.disabled": _l("Module désactivé"),
    "module.settings_changed": _l("Réglages d'un module modifiés"),
    "membership.approved": _l("Demande d'adhésion acceptée"),
    "membership.declined": _l("Demande d'adhésion refusée"),
    "membership.role_granted": _l("Rôle attribué"),
    "membership.roles_changed": _l("Rôles modifiés"),
    "membership.suspended": _l("Adhésion suspendue"),
    "membership.reactivated": _l("Adhésion rétablie"),
    "moderation.reported": _l("Contenu signalé"),
    "moderation.auto_hidden": _l("Contenu masqué automatiquement"),
    "moderation.hidden": _l("Contenu masqué par la modération"),
    "moderation.restored": _l("Contenu rétabli par la modération"),
    "moderation.dismissed": _l("Signalements classés sans suite"),
    "organisation.proposed": _l("Organisation proposée"),
    "organisation.created": _l("Organisation enregistrée"),
    "organisation.updated": _l("Fiche d'une organisation modifiée"),
    "organisation.approved": _l("Organisation acceptée"),
    "organisation.declined": _l("Organisation refusée"),
    "organisation.suspended": _l("Organisation suspendue"),
    "organisation.reactivated": _l("Organisation rétablie"),
    "organisation.staff_added": _l("Membre de l'équipe ajouté"),
    "organisation.staff_invited": _l("Invitation envoyée à l'équipe"),
    "organisation.invitation_accepted": _l("Invitation acceptée"),
    "organisation.invitation_revoked": _l("Invitation annulée"),
    "organisation.staff_removed": _l("Membre de l'équipe retiré"),
    "organisation.staff_role_changed": _l("Rôle dans l'équipe modifié"),
    "hours.ranges_changed": _l("Horaires d'ouverture modifiés"),
    "hours.settings_changed": _l("Réglages des horaires modifiés"),
    "hours.closure_added": _l("Fermeture exceptionnelle ajoutée"),
    "hours.closure_removed": _l("Fermeture exceptionnelle retirée"),
    "hours.territory_holiday_added": _l("Jour de fermeture du territoire ajouté"),
    "hours.territory_holiday_removed": _l("Jour de fermeture du territoire retiré"),
    "account.erased": _l("Compte supprimé par son titulaire"),
}


def action_label(action: str) -> str:
    """The French label of a known action, else its code (a module's action, say)."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
