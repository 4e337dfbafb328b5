"""What the childcare part of the time bank holds about a member: the export, and the erasure that keeps past sessions
and their transfers (the ledger stays whole)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import or_, update

from platformcoop import audit
from platformcoop.extensions import db
from platformcoop.tenancy import scoped_select
from plugins.timebank import services
from plugins.timebank.childcare.family import children_of, delete_children
from plugins.timebank.childcare.queries import upcoming_sessions, with_people
from plugins.timebank.childcare.rules import StaleSession
from plugins.timebank.childcare.sessions import cancel
from plugins.timebank.models import CHILDCARE_NONE, Account, Session


def export_childcare(territory, account: Account) -> dict:
    """What the module holds about the member's childcare: vetting, children, emergency contact, sessions. The other
    family's children are not part of a caregiver's export (only how many they were)."""

    def session_row(session: Session, as_parent: bool) -> dict:
        other = session.caregiver_account if as_parent else session.parent_account
        row = {
            "id": session.id,
            "status": session.status,
            "with": services.account_label(other),
            "starts_at": session.starts_at,
            "ends_at": session.ends_at,
            "place": session.place,
            "actual_start": session.actual_start,
            "actual_end": session.actual_end,
            "minutes": session.minutes,
            "late_cancel": session.late_cancel,
            "auto_confirmed": session.auto_confirmed,
            "children_count": len(session.children),
        }
        if as_parent:
            row.update(
                message=session.message,
                dispute_reason=session.dispute_reason,
                children=[child.first_name for child in session.children],
            )
        return row

    sessions = list(
        db.session.scalars(
            with_people(
                scoped_select(Session, territory).where(
                    or_(Session.parent_account_id == account.id, Session.caregiver_account_id == account.id)
                )
            ).order_by(Session.starts_at)
        )
    )
    return {
        "vetting": {
            "status": account.childcare_status,
            "requested_at": account.childcare_requested_at,
            "request_note": account.childcare_request_note,
            "verified_at": account.childcare_verified_at,
            "verified_by": account.childcare_verified_by.display_name if account.childcare_verified_by else None,
            "decision_note": account.childcare_decision_note,
        },
        "emergency_contact": {"name": account.emergency_contact_name, "phone": account.emergency_contact_phone},
        "children": [
            {"first_name": c.first_name, "birth_year": c.birth_year, "notes": c.notes}
            for c in children_of(territory, account)
        ],
        "sessions_as_parent": [session_row(s, True) for s in sessions if s.parent_account_id == account.id],
        "sessions_as_caregiver": [session_row(s, False) for s in sessions if s.caregiver_account_id == account.id],
    }


def erase_childcare(territory, account: Account) -> None:
    """Erase the member's childcare data: children, emergency contact, vetting notes, their messages; upcoming
    requested or accepted sessions are cancelled (the other side is told). Past sessions and their transfers stay."""
    reason = _("Le compte du membre a été supprimé.")
    for session in upcoming_sessions(territory, parent=account) + upcoming_sessions(territory, caregiver=account):
        other = session.caregiver_account if session.parent_account_id == account.id else session.parent_account
        try:
            cancel(territory, session, None, reason, [other], late_allowed=False)
        except StaleSession:
            continue
    delete_children(territory, [child.id for child in children_of(territory, account)])
    db.session.execute(
        update(Session)
        .where(Session.territory_id == territory.id, Session.parent_account_id == account.id)
        .values(message="")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Account)
        .where(Account.id == account.id, Account.territory_id == territory.id)
        .values(
            emergency_contact_name="",
            emergency_contact_phone="",
            childcare_status=CHILDCARE_NONE,
            childcare_request_note="",
            childcare_decision_note="",
            childcare_requested_at=None,
            childcare_verified_at=None,
            childcare_verified_by_id=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.expire(account)
    audit.record("timebank.childcare_erased", territory=territory, obj=account)
