"""Childcare sessions through the web: booking, acceptance, cancellation, declaration, confirmation, disputes; the
acceptance scenarios 5, 6 and 7, the weekly cap, late cancellations, who may see and do what."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from platformcoop.extensions import db
from platformcoop.notifications.models import Notification
from plugins.timebank import childcare, services
from plugins.timebank.models import Account, Session
from tests.conftest import create_user, is_postgres
from tests.plugins.timebank.support import BASE, assert_invariants, client_for, territory, user
from tests.plugins.timebank.test_childcare import (
    ANNE,
    BRUNO,
    CORALIE,
    GARDE,
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
    kinds_of,
    only_session,
    page_text,
    paris,
    session_form,
    set_settings,
)


def count_sessions() -> int:
    return db.session.scalar(select(func.count()).select_from(Session))


# -- acceptance scenario 5 -------------------------------------------------------------------------------------------


def _book_accept_declare_through_the_web(app, people) -> tuple[dict, int]:
    """P (Anne) books verified C (Bruno) on Saturday 14:00–17:30 for two children; C accepts; C declares 14:10–17:40."""
    with app.app_context(), at(MONDAY):
        ids = family(people)
    anne, bruno = client_for(app, ANNE), client_for(app, BRUNO)
    with at(MONDAY):
        booked = anne.post(f"{GARDE}/demander", data=session_form(people["bruno"], ids["child_ids"]))
        assert booked.status_code == 302, page_text(booked)
        with app.app_context():
            session_id = only_session().id
        assert bruno.post(f"{GARDE}/{session_id}/accepter").status_code == 302
    with app.app_context():
        evening = paris(SATURDAY, 18)
    with at(evening):
        declaration = bruno.post(
            f"{GARDE}/{session_id}/declarer", data={"day": "2026-03-14", "start": "14:10", "end": "17:40"}
        )
        assert declaration.status_code == 302, page_text(declaration)
    with app.app_context():
        session = only_session()
        assert (session.status, session.minutes) == ("declared", 210)
    return ids, session_id


def test_scenario_5_two_confirmations_in_a_row_make_one_transfer_of_3_h_30(app, people, outbox):
    ids, session_id = _book_accept_declare_through_the_web(app, people)
    anne = client_for(app, ANNE)

    with app.app_context():
        evening = paris(SATURDAY, 19)
    with at(evening):
        first = anne.post(f"{GARDE}/{session_id}/confirmer")
        second = anne.post(f"{GARDE}/{session_id}/confirmer")

    assert first.status_code == 302
    assert second.status_code == 409
    assert "cette garde est maintenant « Confirmée, heures transférées »" in page_text(second)
    with app.app_context():
        [transfer] = childcare_transfers()
        assert (transfer.from_account_id, transfer.to_account_id, transfer.minutes) == (ids["anne"], ids["bruno"], 210)
        assert transfer.category.key == "childcare"
        session = only_session()
        assert (session.status, session.transfer_id, session.auto_confirmed) == ("confirmed", transfer.id, False)
        assert balances(ids["anne"], ids["bruno"]) == (120 - 210, 120 + 210)
        assert_invariants(territory())
    assert outbox.to(BRUNO)[-1]["Subject"] == "Anne a confirmé vos heures de garde"


@pytest.mark.postgres
@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL: SQLite serialises writers, no row locks to test")
def test_scenario_5_two_parallel_confirmations_make_exactly_one_transfer(app, people):
    ids, session_id = _book_accept_declare_through_the_web(app, people)
    clients = [client_for(app, ANNE), client_for(app, ANNE)]
    with app.app_context():
        evening = paris(SATURDAY, 19)
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def confirm(client):
        barrier.wait()
        statuses.append(client.post(f"{GARDE}/{session_id}/confirmer").status_code)

    with at(evening):
        threads = [threading.Thread(target=confirm, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(statuses) == [302, 409]
    with app.app_context():
        [transfer] = childcare_transfers()
        assert transfer.minutes == 210
        assert only_session().transfer_id == transfer.id
        assert balances(ids["anne"], ids["bruno"]) == (-90, 330)
        assert_invariants(territory())


@pytest.mark.postgres
@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL: SQLite serialises writers, no row locks to test")
def test_parallel_confirmation_and_dispute_leave_one_outcome(app, people):
    _ids, session_id = _book_accept_declare_through_the_web(app, people)
    with app.app_context():
        evening = paris(SATURDAY, 19)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def post(path, data=None):
        client = client_for(app, ANNE)
        barrier.wait()
        statuses.append(client.post(f"{GARDE}/{session_id}/{path}", data=data or {}).status_code)

    with at(evening):
        threads = [
            threading.Thread(target=post, args=("confirmer",)),
            threading.Thread(target=post, args=("contester", {"reason": "Non"})),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(statuses) == [302, 409]
    with app.app_context():
        session = only_session()
        assert len(childcare_transfers()) == (1 if session.status == "confirmed" else 0)
        assert_invariants(territory())


# -- acceptance scenario 6 -------------------------------------------------------------------------------------------


def test_scenario_6_the_caregiver_cannot_confirm_and_a_dispute_is_settled_by_a_coordinator(app, people, outbox):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        session_id = declared(ids).id
    anne, bruno, coord = client_for(app, ANNE), client_for(app, BRUNO), client_for(app, CORALIE)

    with app.app_context():
        evening = paris(SATURDAY, 19)
    with at(evening):
        assert bruno.post(f"{GARDE}/{session_id}/confirmer").status_code == 403
        assert bruno.post(f"{GARDE}/{session_id}/contester", data={"reason": "Je conteste"}).status_code == 403
        disputed = anne.post(f"{GARDE}/{session_id}/contester", data={"reason": "Bruno est arrivé à 15 h."})
    assert disputed.status_code == 302
    with app.app_context():
        session = only_session()
        assert (session.status, session.dispute_reason) == ("disputed", "Bruno est arrivé à 15 h.")
        assert balances(ids["anne"], ids["bruno"]) == (120, 120)
        assert childcare_transfers() == []
        assert "timebank.coordination" in kinds_of(people["coord"])
    assert "contestée" in outbox.to(CORALIE)[-1]["Subject"]
    queue = page_text(coord.get(f"{BASE}/coordination/litiges/"))
    assert "Bruno est arrivé à 15 h." in queue

    with at(evening):
        settled = coord.post(
            f"{BASE}/coordination/litiges/{session_id}/regler",
            data={
                f"regler-{session_id}-hours": "3",
                f"regler-{session_id}-minutes": "0",
                f"regler-{session_id}-note": "Accord trouvé à 3 h.",
            },
        )
        again = coord.post(
            f"{BASE}/coordination/litiges/{session_id}/regler",
            data={
                f"regler-{session_id}-hours": "3",
                f"regler-{session_id}-minutes": "0",
                f"regler-{session_id}-note": "Double clic.",
            },
        )

    assert settled.status_code == 302
    assert again.status_code == 409
    with app.app_context():
        [transfer] = childcare_transfers()
        assert (transfer.from_account_id, transfer.to_account_id, transfer.minutes) == (ids["anne"], ids["bruno"], 180)
        session = only_session()
        assert (session.status, session.minutes, session.settled_by_id) == ("settled", 180, people["coord"])
        assert balances(ids["anne"], ids["bruno"]) == (-60, 300)
        assert audit_actions("timebank.session_")[-2:] == ["timebank.session_disputed", "timebank.session_settled"]
        assert_invariants(territory())
    for address in (ANNE, BRUNO):
        assert "Accord trouvé à 3 h." in outbox.body(outbox.to(address)[-1])


def test_a_coordinator_voids_a_dispute_without_any_transfer(app, people, outbox):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        session = declared(ids)
        with at(paris(SATURDAY, 19)):
            childcare.dispute_session(territory(), session, user(people["anne"]), "Garde non faite.")
            db.session.commit()
        session_id = session.id
    coord = client_for(app, CORALIE)

    without_note = coord.post(f"{BASE}/coordination/litiges/{session_id}/annuler", data={})
    voided = coord.post(
        f"{BASE}/coordination/litiges/{session_id}/annuler", data={f"annuler-{session_id}-note": "Garde non faite."}
    )

    assert without_note.status_code == 422
    assert voided.status_code == 302
    with app.app_context():
        assert only_session().status == "voided"
        assert childcare_transfers() == []
        assert balances(ids["anne"], ids["bruno"]) == (120, 120)
    assert "aucune heure n'est transférée" in outbox.body(outbox.to(ANNE)[-1])


def test_a_coordinator_who_is_a_party_cannot_settle_their_own_dispute(app, people):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        t = territory()
        coordinator = db.session.get(Account, ids["coord"])
        childcare.set_emergency_contact(t, coordinator, "Paul", "0611223344")
        child = childcare.add_child(t, coordinator, first_name="Zoé", birth_year=2020)
        db.session.commit()
        session = book({**ids, "anne": ids["coord"], "child_ids": [child.id]})
        childcare.accept_session(t, session, user(people["bruno"]))
        db.session.commit()
        with at(paris(SATURDAY, 18)):
            childcare.declare_session(t, session, user(people["bruno"]), session.starts_at, session.ends_at)
            childcare.dispute_session(t, session, user(people["coord"]), "Non.")
            db.session.commit()
        session_id = session.id

    response = client_for(app, CORALIE).post(
        f"{BASE}/coordination/litiges/{session_id}/annuler", data={f"annuler-{session_id}-note": "Moi-même."}
    )

    assert response.status_code == 422
    assert "Un autre coordinateur doit régler ce litige" in page_text(response)


def test_a_confirmation_beyond_the_balance_floor_is_refused_and_the_session_stays_declared(app, people):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        t = territory()
        services.transfer(t, db.session.get(Account, ids["anne"]), db.session.get(Account, ids["coord"]), 480)
        services.transfer(t, db.session.get(Account, ids["anne"]), db.session.get(Account, ids["coord"]), 180)
        db.session.commit()  # Anne at -9 h
        session_id = declared(ids).id

    with app.app_context():
        evening = paris(SATURDAY, 19)
    with at(evening):
        response = client_for(app, ANNE).post(f"{GARDE}/{session_id}/confirmer")

    assert response.status_code == 422
    assert "Solde insuffisant : le solde ne peut pas descendre sous -10 h" in page_text(response)
    with app.app_context():
        assert (only_session().status, only_session().transfer_id) == ("declared", None)
        assert balances(ids["anne"])[0] == -540
        assert_invariants(territory())


# -- acceptance scenario 7 -------------------------------------------------------------------------------------------


def test_scenario_7_an_unverified_member_cannot_be_booked(app, people):
    with app.app_context(), at(MONDAY):
        ids = family(people, verify_bruno=False)
    anne = client_for(app, ANNE)

    with at(MONDAY):
        page = page_text(anne.get(f"{GARDE}/demander"))
        response = anne.post(f"{GARDE}/demander", data=session_form(people["bruno"], ids["child_ids"]))

    assert "Personne n'est encore vérifié pour la garde d'enfants" in page
    assert response.status_code == 422
    assert "Cette personne n'est pas vérifiée pour la garde d'enfants." in page_text(response)
    with app.app_context():
        assert count_sessions() == 0
        assert childcare.verified_caregivers(territory()) == []


def test_scenario_7_an_unverified_member_cannot_offer_a_session_through_the_services(app, people):
    with app.app_context(), at(MONDAY):
        ids = family(people, verify_bruno=False)
        with pytest.raises(services.TimebankError, match="pas vérifiée"):
            book(ids)
        db.session.rollback()
        assert count_sessions() == 0


@pytest.mark.parametrize(
    ("children", "contact", "missing"),
    [
        (0, True, "Ajoutez au moins un enfant à votre profil."),
        (2, False, "Indiquez un contact d'urgence"),
    ],
)
def test_scenario_7_a_parent_without_a_child_or_an_emergency_contact_cannot_book(
    app, people, children, contact, missing
):
    with app.app_context(), at(MONDAY):
        ids = family(people, children=children, contact=contact)
    anne = client_for(app, ANNE)

    with at(MONDAY):
        page = page_text(anne.get(f"{GARDE}/demander?caregiver_id={people['bruno']}"))
        response = anne.post(f"{GARDE}/demander", data=session_form(people["bruno"], ids["child_ids"] or [1]))

    assert missing in page
    assert response.status_code == 422
    assert missing in page_text(response)
    with app.app_context():
        assert count_sessions() == 0


def test_scenario_7_the_caregiver_sees_the_childrens_notes_only_from_acceptance_to_24_h_after_the_end(app, people):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        session_id = book(ids).id
        end = only_session().ends_at
    bruno = client_for(app, BRUNO)
    session_page = f"{GARDE}/{session_id}"

    with at(MONDAY):
        requested = page_text(bruno.get(session_page))
    assert "2 enfants" in requested and "environ 7 ans" in requested and "environ 4 ans" in requested
    assert "Léa" not in requested and "Allergique aux arachides" not in requested and "Mamie Josette" not in requested

    with app.app_context(), at(MONDAY):
        childcare.accept_session(territory(), db.session.get(Session, session_id), user(people["bruno"]))
        db.session.commit()
    with at(end + timedelta(hours=23)):
        during = page_text(bruno.get(session_page))
    assert "Léa" in during and "Allergique aux arachides" in during and "Mamie Josette" in during
    assert "06 12 34 56 78" in during

    with at(end + timedelta(hours=24, minutes=1)):
        after = page_text(bruno.get(session_page))
    assert after.count("Léa") == 0 and "Allergique aux arachides" not in after and "Mamie Josette" not in after
    assert "environ 7 ans" not in after and "2 enfants" in after
    with at(end + timedelta(hours=24, minutes=1)):
        parent_view = page_text(client_for(app, ANNE).get(session_page))
    assert "Léa" in parent_view and "Allergique aux arachides" in parent_view


# -- booking rules ---------------------------------------------------------------------------------------------------


def test_a_parent_books_a_verified_caregiver_who_is_told_and_accepts_with_a_calendar_invitation(app, people, outbox):
    with app.app_context(), at(MONDAY):
        ids = family(people)
    anne, bruno = client_for(app, ANNE), client_for(app, BRUNO)

    with at(MONDAY):
        form = page_text(anne.get(f"{GARDE}/demander?caregiver_id={people['bruno']}"))
        assert f'<option selected value="{people["bruno"]}">Bruno</option>' in form
        booked = anne.post(
            f"{GARDE}/demander", data=session_form(people["bruno"], ids["child_ids"][:1], place="caregiver")
        )
    assert booked.status_code == 302
    with app.app_context():
        session = only_session()
        assert (session.status, session.place, [c.first_name for c in session.children]) == (
            "requested",
            "caregiver",
            ["Léa"],
        )
        assert (session.starts_at, session.ends_at) == (paris(SATURDAY, 14), paris(SATURDAY, 17, 30))
        assert kinds_of(people["bruno"])[-1] == "timebank.session"
        session_id = session.id
    [request_mail] = [m for m in outbox.to(BRUNO) if "Demande de garde" in m["Subject"]]
    assert "samedi 14 mars 2026, de 14:00 à 17:30" in outbox.body(request_mail)

    with at(MONDAY):
        assert anne.post(f"{GARDE}/{session_id}/accepter").status_code == 403  # only the caregiver accepts
        assert bruno.post(f"{GARDE}/{session_id}/accepter").status_code == 302
        assert bruno.post(f"{GARDE}/{session_id}/accepter").status_code == 409

    with app.app_context():
        assert only_session().status == "accepted"
    for address in (ANNE, BRUNO):
        mail = outbox.to(address)[-1]
        [invitation] = [part for part in mail.iter_attachments() if part.get_content_type() == "text/calendar"]
        assert b"TZID=Europe/Paris:20260314T140000" in invitation.get_content().encode()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"day": "2026-03-08"}, "Choisissez une garde dans le futur."),
        ({"start": "14:00", "end": "14:00"}, "L'heure de fin doit être après l'heure de début."),
        ({"start": "08:00", "end": "17:00"}, "Une garde ne peut pas dépasser 8 h."),
        ({"start": "25:00"}, "Indiquez une heure comme 9:00 ou 14:30."),
        ({"children": []}, "Choisissez au moins un enfant."),
    ],
)
def test_a_session_request_is_checked_by_the_server(app, people, values, message):
    with app.app_context(), at(MONDAY):
        ids = family(people)
    data = session_form(people["bruno"], ids["child_ids"])
    data.update(values)

    with at(MONDAY):
        response = client_for(app, ANNE).post(f"{GARDE}/demander", data=data)

    assert response.status_code == 422
    assert message in page_text(response)
    with app.app_context():
        assert count_sessions() == 0


def test_a_parent_cannot_book_another_parents_child(app, people):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        t = territory()
        other = childcare.add_child(t, db.session.get(Account, ids["bruno"]), first_name="Tom", birth_year=2018)
        db.session.commit()
        other_id = other.id
    with at(MONDAY):
        response = client_for(app, ANNE).post(f"{GARDE}/demander", data=session_form(people["bruno"], [other_id]))
    assert response.status_code == 422
    assert "Choisissez au moins un de vos enfants." in page_text(response)


def test_an_evening_that_ends_after_midnight_ends_the_next_day(app, people):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        session = book(ids, start=(20, 0), end=(1, 0))
        assert (session.starts_at, session.ends_at) == (paris(SATURDAY, 20), paris(SATURDAY + timedelta(days=1), 1))


def test_the_weekly_cap_refuses_a_booking_with_an_explanation(app, people):
    next_monday = SATURDAY + timedelta(days=2)  # Monday 16 March 2026
    with app.app_context(), at(MONDAY):
        ids = family(people)
        set_settings(weekly_childcare_cap=600)  # 10 h
        book(ids, day=next_monday, start=(9, 0), end=(15, 0))  # 6 h, requested
        accepted(ids, day=next_monday + timedelta(days=1), start=(9, 0), end=(12, 0))  # 3 h, accepted
    anne = client_for(app, ANNE)

    with at(MONDAY):
        refused = anne.post(
            f"{GARDE}/demander",
            data=session_form(people["bruno"], ids["child_ids"], day="2026-03-21", start="14:00", end="16:00"),
        )
        other_week = anne.post(
            f"{GARDE}/demander",
            data=session_form(people["bruno"], ids["child_ids"], day="2026-03-23", start="14:00", end="16:00"),
        )

    assert refused.status_code == 422
    text = page_text(refused)
    assert "Cette personne a déjà 9 h de garde prévues la semaine du 16 mars 2026" in text
    assert "plafond de 10 h par semaine" in text and "assistante maternelle" in text
    assert other_week.status_code == 302  # the next ISO week
    with app.app_context(), at(MONDAY):
        assert count_sessions() == 3
        exactly_at_the_cap = book(ids, day=next_monday + timedelta(days=6), start=(22, 0), end=(23, 0))  # Sunday
        assert exactly_at_the_cap.status == "requested"  # 9 h + 1 h = 10 h: allowed


def test_accepting_checks_the_weekly_cap_again(app, people):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        accepted(ids, day=SATURDAY - timedelta(days=1), start=(9, 0), end=(15, 0))  # Friday, 6 h, accepted
        session = book(ids, start=(9, 0), end=(14, 0))  # Saturday, 5 h
        set_settings(weekly_childcare_cap=600)  # lowered meanwhile: 6 h + 5 h > 10 h
        session_id = session.id

    with at(MONDAY):
        response = client_for(app, BRUNO).post(f"{GARDE}/{session_id}/accepter")

    assert response.status_code == 422
    assert "Vous avez déjà 6 h de garde acceptées la semaine du 9 mars 2026" in page_text(response)
    with app.app_context():
        assert db.session.get(Session, session_id).status == "requested"


# -- declining, cancelling -------------------------------------------------------------------------------------------


def test_the_caregiver_declines_with_a_message_and_the_parent_is_told(app, people, outbox):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        session_id = book(ids).id
    with at(MONDAY):
        assert client_for(app, ANNE).post(f"{GARDE}/{session_id}/refuser").status_code == 403
        response = client_for(app, BRUNO).post(f"{GARDE}/{session_id}/refuser", data={"refus-reason": "Pas dispo."})
    assert response.status_code == 302
    with app.app_context():
        assert only_session().status == "declined"
    mail = outbox.to(ANNE)[-1]
    assert mail["Subject"] == "Bruno ne peut pas garder vos enfants"
    assert "Pas dispo." in outbox.body(mail)


@pytest.mark.parametrize(("hours_before", "late"), [(30, False), (10, True)])
def test_a_cancellation_less_than_24_h_before_is_recorded_as_late(app, people, outbox, hours_before, late):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        session_id = accepted(ids).id
        start = paris(SATURDAY, 14)

    with at(start - timedelta(hours=hours_before)):
        page = page_text(client_for(app, BRUNO).get(f"{GARDE}/{session_id}"))
        response = client_for(app, BRUNO).post(f"{GARDE}/{session_id}/annuler", data={"annulation-reason": "Malade."})

    assert response.status_code == 302
    assert ("sera notée comme tardive" in page) is late
    with app.app_context():
        session = only_session()
        assert (session.status, session.late_cancel, session.cancelled_by_id) == ("cancelled", late, people["bruno"])
    mail = outbox.to(ANNE)[-1]
    assert "annulée" in mail["Subject"] and "Malade." in outbox.body(mail)
    assert any(part.get_content_type() == "text/calendar" for part in mail.iter_attachments())
    with at(start):
        coordinator_view = page_text(client_for(app, CORALIE).get(f"{BASE}/coordination/litiges/"))
    assert ("annulée le" in coordinator_view) is late


def test_nobody_cancels_after_the_start(app, people):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        session_id = accepted(ids).id
        start = paris(SATURDAY, 14)
    with at(start + timedelta(minutes=5)):
        response = client_for(app, ANNE).post(f"{GARDE}/{session_id}/annuler")
    assert response.status_code == 422
    assert "La garde a déjà commencé" in page_text(response)


# -- declaring -------------------------------------------------------------------------------------------------------


def test_the_caregiver_declares_only_after_the_planned_end(app, people):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        session_id = accepted(ids).id
        end = paris(SATURDAY, 17, 30)
    bruno = client_for(app, BRUNO)
    data = {"day": "2026-03-14", "start": "14:00", "end": "17:30"}

    with at(end - timedelta(minutes=1)):
        early = bruno.post(f"{GARDE}/{session_id}/declarer", data=data)
    with at(end + timedelta(minutes=1)):
        assert client_for(app, ANNE).get(f"{GARDE}/{session_id}/declarer").status_code == 403
        form = page_text(bruno.get(f"{GARDE}/{session_id}/declarer"))
        ok = bruno.post(f"{GARDE}/{session_id}/declarer", data=data)

    assert early.status_code == 422 and "après la fin prévue" in page_text(early)
    assert 'value="14:00"' in form and 'value="17:30"' in form and 'value="2026-03-14"' in form  # planned times
    assert ok.status_code == 302
    with app.app_context():
        session = only_session()
        assert (session.status, session.minutes) == ("declared", 210)


# -- who sees what ---------------------------------------------------------------------------------------------------


def test_a_session_is_404_for_other_members_and_other_territories(app, people, lomme):
    create_user(app, "dora@example.org", "Dora", libercourt=("resident",))
    create_user(app, "louis@example.org", "Louis", lomme=("resident",))
    with app.app_context(), at(MONDAY):
        ids = family(people)
        session_id = book(ids).id
    dora, louis, coord = (client_for(app, e) for e in ("dora@example.org", "louis@example.org", CORALIE))

    assert dora.get(f"{GARDE}/{session_id}").status_code == 404
    assert dora.post(f"{GARDE}/{session_id}/accepter").status_code == 404
    assert louis.get(f"/lomme/banque-de-temps/garde/{session_id}").status_code == 404
    assert coord.get(f"/lomme/banque-de-temps/garde/{session_id}").status_code in (403, 404)
    coordinator_view = page_text(coord.get(f"{GARDE}/{session_id}"))
    assert "environ 7 ans" in coordinator_view and "Allergique" not in coordinator_view  # ages, never notes
    assert coord.post(f"{GARDE}/{session_id}/accepter").status_code == 403


def test_every_step_is_notified_with_the_session_kind(app, people):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        declared(ids)
        with at(paris(SATURDAY, 19)):
            childcare.confirm_session(territory(), only_session(), user(people["anne"]))
            db.session.commit()
        kinds = db.session.scalars(
            select(Notification.kind).where(Notification.object_type == "Session").order_by(Notification.id)
        ).all()
        # requested (C), accepted (P and C), declared (P), confirmed (C)
        assert kinds == ["timebank.session"] * 5
        assert audit_actions("timebank.session_") == [
            "timebank.session_requested",
            "timebank.session_accepted",
            "timebank.session_declared",
            "timebank.session_confirmed",
        ]


@pytest.mark.postgres
@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL: SQLite serialises writers, no row locks to test")
def test_many_parallel_confirmations_through_the_service_make_one_transfer(app, people):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        session_id = declared(ids).id
        evening = paris(SATURDAY, 19)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def confirm():
        with app.app_context():
            t = territory()
            session = db.session.get(Session, session_id)
            parent = user(people["anne"])
            barrier.wait()
            try:
                childcare.confirm_session(t, session, parent)
                db.session.commit()
                outcomes.append("ok")
            except services.TimebankError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    with at(evening):
        threads = [threading.Thread(target=confirm) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(outcomes) == ["ok"] + ["refused"] * 7
    with app.app_context():
        [transfer] = childcare_transfers()
        assert transfer.minutes == 210
        assert balances(ids["anne"], ids["bruno"]) == (-90, 330)
        assert_invariants(territory())
