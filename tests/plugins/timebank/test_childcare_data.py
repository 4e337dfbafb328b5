"""The childcare part of a member's personal data: the export, and the erasure that keeps past sessions and their
transfers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from platformcoop.extensions import db
from plugins.timebank import childcare
from plugins.timebank.models import Account, Child, Session, session_child
from tests.plugins.timebank.support import assert_invariants, territory, user
from tests.plugins.timebank.test_childcare import (
    MONDAY,
    SATURDAY,
    accepted,
    at,
    audit_actions,
    balances,
    book,
    childcare_transfers,
    declared,
    family,
    paris,
)


def _a_past_confirmed_and_an_upcoming_session(people) -> tuple[dict, int, int]:
    ids = family(people)
    past = declared(ids)
    with at(paris(SATURDAY, 19)):
        childcare.confirm_session(territory(), past, user(people["anne"]))
        db.session.commit()
    upcoming = accepted(ids, day=SATURDAY + timedelta(days=7))
    return ids, past.id, upcoming.id


def test_the_export_holds_the_vetting_children_contact_and_sessions_but_not_the_other_familys_children(ctx, people):
    with at(MONDAY):
        ids, past_id, upcoming_id = _a_past_confirmed_and_an_upcoming_session(people)
        t = territory()

        parent = childcare.export_childcare(t, db.session.get(Account, ids["anne"]))
        caregiver = childcare.export_childcare(t, db.session.get(Account, ids["bruno"]))

    assert [c["first_name"] for c in parent["children"]] == ["Léa", "Hugo"]
    assert parent["children"][0]["notes"] == "Allergique aux arachides"
    assert parent["emergency_contact"] == {"name": "Mamie Josette", "phone": "06 12 34 56 78"}
    assert [(s["id"], s["status"], s["with"]) for s in parent["sessions_as_parent"]] == [
        (past_id, "confirmed", "Bruno"),
        (upcoming_id, "accepted", "Bruno"),
    ]
    assert parent["sessions_as_parent"][0]["minutes"] == 210
    assert parent["sessions_as_parent"][0]["children"] == ["Léa", "Hugo"]
    assert parent["sessions_as_caregiver"] == [] and parent["vetting"]["status"] == "none"

    assert caregiver["vetting"]["status"] == "verified"
    assert caregiver["vetting"]["verified_by"] == "Coralie"
    assert caregiver["vetting"]["request_note"] == "Papa de deux enfants, disponible le samedi."
    assert caregiver["children"] == [] and caregiver["sessions_as_parent"] == []
    as_caregiver = caregiver["sessions_as_caregiver"][0]
    assert as_caregiver["children_count"] == 2 and "children" not in as_caregiver and "message" not in as_caregiver


def test_erasing_deletes_children_and_contact_cancels_upcoming_sessions_and_keeps_the_past(ctx, people, outbox):
    with at(MONDAY):
        ids, past_id, upcoming_id = _a_past_confirmed_and_an_upcoming_session(people)
        requested_id = book(ids, day=SATURDAY + timedelta(days=14)).id
        t = territory()

        childcare.erase_childcare(t, db.session.get(Account, ids["anne"]))
        db.session.commit()

    anne = db.session.get(Account, ids["anne"])
    assert (anne.emergency_contact_name, anne.emergency_contact_phone) == ("", "")
    assert db.session.scalar(select(func.count()).select_from(Child)) == 0
    assert db.session.scalar(select(func.count()).select_from(session_child)) == 0
    past, upcoming, requested = (db.session.get(Session, i) for i in (past_id, upcoming_id, requested_id))
    assert (past.status, past.minutes, past.message) == ("confirmed", 210, "")
    assert [upcoming.status, requested.status] == ["cancelled", "cancelled"]
    assert not upcoming.late_cancel
    [transfer] = childcare_transfers()
    assert past.transfer_id == transfer.id and balances(ids["anne"], ids["bruno"]) == (-90, 330)
    assert "timebank.childcare_erased" in audit_actions("timebank.childcare")
    assert_invariants(t)


def test_erasing_a_caregiver_clears_the_vetting_and_cancels_what_they_were_to_do(ctx, people):
    with at(MONDAY):
        ids = family(people)
        session_id = accepted(ids).id
        t = territory()

        childcare.erase_childcare(t, db.session.get(Account, ids["bruno"]))
        db.session.commit()

        bruno = db.session.get(Account, ids["bruno"])
        assert (bruno.childcare_status, bruno.childcare_verified_by_id, bruno.childcare_request_note) == (
            "none",
            None,
            "",
        )
        assert db.session.get(Session, session_id).status == "cancelled"
        assert childcare.verified_caregivers(t) == []
