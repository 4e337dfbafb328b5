"""The parent's side of the profile: children (first name or nickname, birth year, notes) and the emergency contact."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete

from platformcoop.extensions import db
from platformcoop.tenancy import scoped_select
from plugins.timebank.childcare.rules import OPEN, birth_year_error, clean_text, has_emergency_contact, phone_error
from plugins.timebank.models import Account, Child, Session, session_child
from plugins.timebank.services import TimebankError


def _check_child(territory, first_name, birth_year, notes) -> tuple[str, int, str]:
    first_name = clean_text(first_name, max_length=60, required=_l("Indiquez le prénom ou le surnom de l'enfant."))
    error = birth_year_error(territory, birth_year)
    if error:
        raise TimebankError(error)
    return first_name, birth_year, clean_text(notes)


def children_of(territory, account: Account) -> list[Child]:
    return list(
        db.session.scalars(
            scoped_select(Child, territory)
            .where(Child.account_id == account.id)
            .order_by(Child.birth_year, Child.first_name, Child.id)
        )
    )


def add_child(territory, account: Account, *, first_name: str, birth_year: int, notes: str = "") -> Child:
    first_name, birth_year, notes = _check_child(territory, first_name, birth_year, notes)
    child = Child(
        territory_id=territory.id, account_id=account.id, first_name=first_name, birth_year=birth_year, notes=notes
    )
    db.session.add(child)
    db.session.flush()
    return child


def update_child(territory, child: Child, *, first_name: str, birth_year: int, notes: str = "") -> None:
    child.first_name, child.birth_year, child.notes = _check_child(territory, first_name, birth_year, notes)


def delete_child(territory, child: Child) -> None:
    """Remove a child from the parent's profile; refused while a session that concerns them is still open."""
    open_session = db.session.scalar(
        scoped_select(Session, territory)
        .join(session_child, session_child.c.session_id == Session.id)
        .where(session_child.c.child_id == child.id, Session.status.in_(OPEN))
        .limit(1)
    )
    if open_session is not None:
        raise TimebankError(
            _("Cet enfant est concerné par une garde en cours : annulez-la ou attendez qu'elle soit terminée.")
        )
    delete_children(territory, [child.id])


def delete_children(territory, ids: list[int]) -> None:
    if not ids:
        return
    # The links first: SQLite does not cascade without its foreign_keys pragma.
    db.session.execute(delete(session_child).where(session_child.c.child_id.in_(ids)))
    db.session.execute(
        delete(Child)
        .where(Child.territory_id == territory.id, Child.id.in_(ids))
        .execution_options(synchronize_session="fetch")
    )


def set_emergency_contact(territory, account: Account, name: str, phone: str) -> None:
    name = clean_text(name, max_length=120, required=_l("Indiquez le nom de la personne à prévenir."))
    phone = clean_text(phone, max_length=40, required=_l("Indiquez son numéro de téléphone."))
    error = phone_error(phone)
    if error:
        raise TimebankError(error)
    account.emergency_contact_name, account.emergency_contact_phone = name, phone


def booking_obstacles(territory, parent: Account) -> list[str]:
    """What the parent must do before asking for childcare (empty when they may book)."""
    missing = []
    if parent.closed_at is not None:
        missing.append(_("Votre compte de temps est fermé."))
    if not children_of(territory, parent):
        missing.append(_("Ajoutez au moins un enfant à votre profil."))
    if not has_emergency_contact(parent):
        missing.append(_("Indiquez un contact d'urgence (une personne à prévenir et son téléphone)."))
    return missing
