"""Who is told of each step of an appointment (spec, "Notifications and reminders"), in the app and by e-mail, with the
times in the territory's local time and the recipient's language; the actor is never told (but the resident gets a
receipt of their own booking). The clock stands on Monday 1 June 2026, 08:10 in Paris; Odile owns the atelier, Bruno
works there."""

from __future__ import annotations

import re

import pytest

from platformcoop import clock
from platformcoop.extensions import db
from platformcoop.notifications import preferences
from plugins.bikerepair.booking import book_appointment, cancel_appointment
from plugins.bikerepair.lifecycle import accept, answer_proposal, mark_done, propose, refuse
from plugins.bikerepair.models import Appointment, Bike
from tests.plugins.bikerepair.support import paris, user
from tests.plugins.bikerepair.test_scenarios_mail import (
    ANNE,
    BRUNO,
    ODILE,
    book,
    deliver,
    invitation,
    load,
    shop,  # noqa: F401  (fixture)
    subject,
    subjects,
    titles,
)

TUESDAY_9, TUESDAY_10 = paris(2026, 6, 2, 9), paris(2026, 6, 2, 10)
STAFF = "bikerepair.staff"
RESIDENT = "bikerepair.appointment"


@pytest.fixture
def desk(ctx, shop, monday_morning):  # noqa: F811
    return shop


def pending(ids) -> Appointment:
    appointment = book(ids, TUESDAY_10, ids.anne)
    deliver()
    return appointment


def accepted(ids) -> Appointment:
    appointment = pending(ids)
    accept(load(ids)[0], appointment, actor=user(ids.odile))
    db.session.commit()
    deliver()
    return appointment


def last(outbox, address: str):
    return outbox.to(address)[-1]


# -- booking -----------------------------------------------------------------------------------------------------------


def test_a_request_tells_the_staff_and_the_resident_gets_a_receipt_with_the_invitation(desk, outbox):
    appointment = pending(desk)
    request = "Nouvelle demande de rendez-vous de Anne le 02/06/2026 10:00 (Révision)."
    assert titles(desk.odile, STAFF) == titles(desk.bruno, STAFF) == [request]
    assert subjects(outbox, ODILE) == subjects(outbox, BRUNO) == [request]
    assert "mardi 2 juin 2026 à 10:00" in outbox.body(last(outbox, ODILE))
    assert "/libercourt/reparation-velo/atelier/" in outbox.body(last(outbox, ODILE))

    receipt = "Demande de rendez-vous envoyée à Atelier Vélo Solidaire pour le 02/06/2026 10:00."
    assert titles(desk.anne) == [receipt] and subjects(outbox, ANNE) == [receipt]
    ics = invitation(last(outbox, ANNE))
    assert "DTSTART;TZID=Europe/Paris:20260602T100000" in ics and "METHOD:PUBLISH" in ics
    assert "/libercourt/reparation-velo/mes-rendez-vous" in outbox.body(last(outbox, ANNE))
    assert appointment.first_slot_at == paris(2026, 6, 1, 9)  # the first slot offered when Anne booked


def test_an_auto_accepted_booking_is_a_new_appointment_for_the_staff_and_confirmed_to_the_resident(desk, outbox):
    load(desk)[1].auto_accept = True
    db.session.commit()
    pending(desk)
    assert titles(desk.odile, STAFF) == ["Nouveau rendez-vous de Anne le 02/06/2026 10:00 (Révision)."]
    confirmed = "Rendez-vous confirmé chez Atelier Vélo Solidaire le 02/06/2026 10:00."
    assert subjects(outbox, ANNE) == [confirmed]
    assert "est confirmé : le mardi 2 juin 2026 à 10:00" in outbox.body(last(outbox, ANNE))
    assert "DTSTART;TZID=Europe/Paris:20260602T100000" in invitation(last(outbox, ANNE))


def test_a_walk_in_entered_by_the_staff_tells_only_the_other_staff(desk, outbox):
    t, repairer, service = load(desk)
    appointment = book_appointment(
        t, repairer, service, TUESDAY_10, walk_in_name="M. Martin", walk_in_phone="06 00", actor=user(desk.odile)
    )
    db.session.commit()
    deliver()
    assert appointment.first_slot_at is None  # not a resident's own booking: no "delay to the first slot"
    assert appointment.status == "accepted"  # entered by the staff: accepted at once, even without auto-accept
    assert titles(desk.odile) == []  # the actor
    assert titles(desk.bruno, STAFF) == ["Nouveau rendez-vous de M. Martin le 02/06/2026 10:00 (Révision)."]
    assert [message["To"] for message in outbox.messages()] == [BRUNO]


def test_a_booking_entered_by_the_staff_for_a_resident_tells_the_resident(desk, outbox):
    t, repairer, service = load(desk)
    assert not repairer.auto_accept
    book_appointment(t, repairer, service, TUESDAY_10, resident=user(desk.anne), actor=user(desk.bruno))
    db.session.commit()
    deliver()
    assert titles(desk.bruno) == []  # the actor
    assert titles(desk.odile, STAFF) == ["Nouveau rendez-vous de Anne le 02/06/2026 10:00 (Révision)."]
    assert subjects(outbox, ANNE) == ["Rendez-vous confirmé chez Atelier Vélo Solidaire le 02/06/2026 10:00."]
    assert "Atelier Vélo Solidaire a enregistré un rendez-vous pour vous" in outbox.body(last(outbox, ANNE))
    assert "DTSTART;TZID=Europe/Paris:20260602T100000" in invitation(last(outbox, ANNE))


# -- the staff's steps ------------------------------------------------------------------------------------------------


def test_accepting_tells_the_resident_with_the_invitation_and_not_the_staff(desk, outbox):
    accepted(desk)
    mail = last(outbox, ANNE)
    assert subject(mail) == "Atelier Vélo Solidaire confirme votre rendez-vous du 02/06/2026 10:00."
    assert "le mardi 2 juin 2026 à 10:00" in outbox.body(mail)
    assert "DTSTART;TZID=Europe/Paris:20260602T100000" in invitation(mail)
    assert len(outbox.to(ODILE)) == len(outbox.to(BRUNO)) == 1  # the request only


def test_refusing_tells_the_resident_why_and_calls_the_invitation_off(desk, outbox):
    appointment = pending(desk)
    refuse(load(desk)[0], appointment, actor=user(desk.odile), message="Atelier fermé pour inventaire.")
    db.session.commit()
    deliver()
    mail = last(outbox, ANNE)
    assert subject(mail) == "Atelier Vélo Solidaire ne peut pas vous recevoir le 02/06/2026 10:00."
    assert "Atelier fermé pour inventaire." in outbox.body(mail)
    ics = invitation(mail)
    assert "METHOD:CANCEL" in ics and "SEQUENCE:1" in ics
    assert len(outbox.to(ODILE)) == 1


def test_proposing_another_time_tells_the_resident_and_moves_the_invitation(desk, outbox):
    appointment = accepted(desk)
    propose(load(desk)[0], appointment, TUESDAY_9, actor=user(desk.bruno), message="Plus tôt ?")
    db.session.commit()
    deliver()
    mail = last(outbox, ANNE)
    assert subject(mail) == "Atelier Vélo Solidaire vous propose un autre horaire : le 02/06/2026 09:00."
    body = outbox.body(mail)
    assert "le 02/06/2026 10:00 et vous propose un autre horaire : le mardi 2 juin 2026 à 09:00" in body
    assert "Plus tôt ?" in body
    ics = invitation(mail)
    assert "DTSTART;TZID=Europe/Paris:20260602T090000" in ics and "SEQUENCE:1" in ics and "METHOD:PUBLISH" in ics
    assert len(titles(desk.bruno)) == 1  # the request; not the proposal Bruno made


@pytest.mark.parametrize(
    ("answer", "title"),
    [
        (True, "Anne accepte le nouvel horaire : le 02/06/2026 09:00."),
        (False, "Anne refuse l'horaire proposé et annule son rendez-vous du 02/06/2026 10:00."),
    ],
)
def test_the_residents_answer_to_a_proposal_tells_the_staff(desk, outbox, answer, title):
    appointment = accepted(desk)
    propose(load(desk)[0], appointment, TUESDAY_9, actor=user(desk.odile))
    db.session.commit()
    deliver()
    before = len(outbox.to(ANNE))
    answer_proposal(load(desk)[0], appointment, actor=user(desk.anne), accept=answer)
    db.session.commit()
    deliver()
    assert titles(desk.odile, STAFF)[-1] == titles(desk.bruno, STAFF)[-1] == title
    assert subject(last(outbox, ODILE)) == subject(last(outbox, BRUNO)) == title
    assert len(outbox.to(ANNE)) == before  # the actor


def test_a_cancellation_by_the_staff_tells_the_resident_with_the_reason_and_the_cancel(desk, outbox):
    appointment = accepted(desk)
    cancel_appointment(load(desk)[0], appointment, actor=user(desk.odile), reason="Atelier inondé.")
    db.session.commit()
    deliver()
    mail = last(outbox, ANNE)
    assert subject(mail) == "Atelier Vélo Solidaire annule votre rendez-vous du 02/06/2026 10:00."
    assert "Atelier inondé." in outbox.body(mail)
    ics = invitation(mail)
    assert "METHOD:CANCEL" in ics and "STATUS:CANCELLED" in ics and "SEQUENCE:1" in ics
    assert appointment.ics_sequence == 1
    assert len(outbox.to(ODILE)) == 1  # the actor: only the request


def test_done_tells_the_resident_with_a_link_to_the_booklet(desk, outbox):
    bike = Bike(territory_id=load(desk)[0].id, owner_id=desk.anne, name="Mon vélo")
    db.session.add(bike)
    db.session.commit()
    appointment = book(desk, TUESDAY_10, desk.anne, bike=bike)
    accept(load(desk)[0], appointment, actor=user(desk.odile))
    db.session.commit()
    with clock.frozen(paris(2026, 6, 2, 11)):
        mark_done(load(desk)[0], appointment, actor=user(desk.odile), work_done="Câble de frein changé.")
        db.session.commit()
    deliver()
    mail = last(outbox, ANNE)
    assert subject(mail) == "Atelier Vélo Solidaire a noté la réparation du 02/06/2026 10:00."
    body = outbox.body(mail)
    assert "carnet d'entretien" in body and "/libercourt/reparation-velo/mes-velos" in body
    assert invitation(mail) is None
    assert len(outbox.to(ODILE)) == 1


# -- language, preferences --------------------------------------------------------------------------------------------


def test_the_times_are_local_in_the_recipients_language(desk, outbox):
    user(desk.anne).locale = "en"
    db.session.commit()
    accepted(desk)
    [title] = [t for t in titles(desk.anne) if "confirme" in t or "confirms" in t]
    assert re.search(r"6/2/26, 10:00\sAM", title)  # 08:00 UTC, shown as Paris' 10:00, the English way
    assert re.search(r"10:00\sAM", outbox.body(last(outbox, ANNE)))
    assert "10:00" in titles(desk.odile, STAFF)[0]  # Odile reads French


def test_a_resident_who_wants_no_email_still_gets_the_notification(desk, outbox):
    preferences.set_email_choices(user(desk.anne), {RESIDENT: preferences.NO_EMAIL})
    db.session.commit()
    accepted(desk)
    assert len(titles(desk.anne)) == 2  # the receipt and the acceptance
    assert outbox.to(ANNE) == []
