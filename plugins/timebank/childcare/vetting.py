"""Who may offer childcare: a member asks, a coordinator who met them verifies or refuses, and may withdraw it."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.orm import selectinload

from platformcoop import audit
from platformcoop.clock import now as clock_now
from platformcoop.extensions import db
from platformcoop.tenancy import scoped_select
from plugins.timebank import services
from plugins.timebank.childcare.notices import link, tell, tell_coordinators
from plugins.timebank.childcare.queries import upcoming_sessions
from plugins.timebank.childcare.rules import KIND_COORDINATION, clean_text, require_coordinator
from plugins.timebank.childcare.sessions import cancel
from plugins.timebank.models import CHILDCARE_NONE, CHILDCARE_REFUSED, CHILDCARE_REQUESTED, CHILDCARE_VERIFIED, Account
from plugins.timebank.services import TimebankError


def _move_vetting(territory, account: Account, expected: tuple[str, ...], **values) -> None:
    result = db.session.execute(
        update(Account)
        .where(Account.id == account.id, Account.territory_id == territory.id, Account.childcare_status.in_(expected))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(account)
    if result.rowcount != 1:
        raise TimebankError(_("Cette demande a déjà été traitée entre-temps : rechargez la page."))


def request_vetting(territory, account: Account, note: str) -> None:
    """The member asks to offer childcare (they declared being an adult); the coordinators are told."""
    note = clean_text(note)
    if account.closed_at is not None or account.user is None:
        raise TimebankError(_("Ce compte est fermé."))
    if account.childcare_status == CHILDCARE_REQUESTED:
        raise TimebankError(_("Votre demande est déjà envoyée : un coordinateur va vous contacter."))
    if account.childcare_status == CHILDCARE_VERIFIED:
        raise TimebankError(_("Vous êtes déjà vérifié(e) pour la garde d'enfants."))
    _move_vetting(
        territory,
        account,
        (CHILDCARE_NONE, CHILDCARE_REFUSED),
        childcare_status=CHILDCARE_REQUESTED,
        childcare_requested_at=clock_now(),
        childcare_request_note=note,
        childcare_decision_note="",
        childcare_verified_at=None,
        childcare_verified_by_id=None,
    )
    audit.record("timebank.vetting_requested", actor=account.user, territory=territory, obj=account)
    name = services.account_label(account)
    tell_coordinators(
        territory,
        account,
        _l("Garde d'enfants : %(name)s demande à être vérifié(e)", name=name),
        "vetting_requested",
        link(territory, "timebank.vetting_queue"),
        skip=[account.user],
        account=account,
        name=name,
        note=note,
    )


def verify(territory, account: Account, actor, note: str = "") -> None:
    """A coordinator who met the member marks them verified for childcare (who and when are kept)."""
    require_coordinator(territory, actor)
    note = clean_text(note)
    if account.user_id == actor.id:
        raise TimebankError(_("Un autre coordinateur doit vérifier votre propre demande."))
    _decide(
        territory,
        account,
        actor,
        note,
        "verified",
        (CHILDCARE_REQUESTED,),
        childcare_status=CHILDCARE_VERIFIED,
        childcare_verified_at=clock_now(),
        childcare_verified_by_id=actor.id,
    )
    _tell_vetting(territory, account, _l("Vous pouvez proposer de la garde d'enfants"), "vetting_verified", note)


def refuse(territory, account: Account, actor, note: str) -> None:
    """A coordinator turns the request down, with a note for the member."""
    require_coordinator(territory, actor)
    note = clean_text(note, required=_l("Expliquez votre décision à la personne."))
    _decide(territory, account, actor, note, "refused", (CHILDCARE_REQUESTED,), childcare_status=CHILDCARE_REFUSED)
    _tell_vetting(territory, account, _l("Votre demande pour garder des enfants"), "vetting_refused", note)


def withdraw(territory, account: Account, actor, note: str) -> None:
    """A coordinator withdraws a verification; the caregiver's upcoming sessions are cancelled, parents told."""
    require_coordinator(territory, actor)
    note = clean_text(note, required=_l("Expliquez votre décision à la personne."))
    _decide(
        territory,
        account,
        actor,
        note,
        "withdrawn",
        (CHILDCARE_VERIFIED,),
        childcare_status=CHILDCARE_REFUSED,
        childcare_verified_at=None,
        childcare_verified_by_id=None,
    )
    reason = _("La personne qui devait garder n'est plus vérifiée pour la garde d'enfants.")
    for session in upcoming_sessions(territory, caregiver=account):
        cancel(territory, session, actor, reason, [session.parent_account], late_allowed=False)
    _tell_vetting(territory, account, _l("Votre vérification pour la garde d'enfants"), "vetting_withdrawn", note)


def _decide(territory, account: Account, actor, note: str, decision: str, expected: tuple[str, ...], **values) -> None:
    """A coordinator's decision, kept with its note and audited (``timebank.vetting_<decision>``)."""
    _move_vetting(territory, account, expected, childcare_decision_note=note, **values)
    audit.record(f"timebank.vetting_{decision}", actor=actor, territory=territory, obj=account, note=note)


def _tell_vetting(territory, account: Account, title, template: str, note: str) -> None:
    url = link(territory, "timebank.childcare")
    tell(account.user, KIND_COORDINATION, territory, account, title, template, url, account=account, note=note)


def vetting_requests(territory) -> list[Account]:
    """The members waiting in the vetting queue, oldest request first."""
    return list(
        db.session.scalars(
            scoped_select(Account, territory)
            .where(Account.childcare_status == CHILDCARE_REQUESTED)
            .order_by(Account.childcare_requested_at, Account.id)
            .options(selectinload(Account.user))
        )
    )


def verified_caregivers(territory, exclude: Account | None = None, *, bookable_only: bool = True) -> list[Account]:
    """The verified members, by name: those who may be asked for childcare (account open, member still active), or
    with ``bookable_only=False`` every verified account (the coordinators' list, to withdraw a verification)."""
    from platformcoop.accounts.models import User
    from platformcoop.tenancy.models import MEMBERSHIP_ACTIVE, Membership

    query = (
        scoped_select(Account, territory)
        .join(User, User.id == Account.user_id)
        .where(Account.childcare_status == CHILDCARE_VERIFIED)
        .order_by(User.display_name, Account.id)
        .options(selectinload(Account.user), selectinload(Account.childcare_verified_by))
    )
    if bookable_only:
        query = query.join(Membership, (Membership.user_id == User.id) & (Membership.territory_id == territory.id))
        query = query.where(
            Account.closed_at.is_(None),
            User.disabled.is_(False),
            User.erased_at.is_(None),
            Membership.status == MEMBERSHIP_ACTIVE,
        )
    if exclude is not None:
        query = query.where(Account.id != exclude.id)
    return list(db.session.scalars(query))
