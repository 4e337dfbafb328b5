"""The repairer's back office over HTTP: who sees what (scenario 8: each repairer sees only its own appointments,
customers and bikes; employees handle appointments, only owners change the settings), the home page, and each staff
action on an appointment (accept, refuse with a message, propose a free time, done, no-show) with its refusals.
The clock stands on Monday 1 June 2026, 08:10 in Paris; the workshops open Monday to Saturday, 9 h – 12 h."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from platformcoop.extensions import db
from platformcoop.organisations import services as organisations
from plugins.bikerepair.booking import book_appointment
from plugins.bikerepair.models import (
    ACCEPTED,
    DONE,
    PENDING,
    PROPOSED,
    REFUSED,
    Appointment,
    Bike,
    BookletEntry,
)
from tests.conftest import login
from tests.plugins.bikerepair.support import add_service, make_repairer, paris, territory, user

BASE = "/libercourt/reparation-velo/atelier"
ODILE, ANNE, BRUNO, CLAIRE = (
    "odile@atelier.example.org",
    "anne@example.org",
    "bruno@example.org",
    "claire@example.org",
)
TUESDAY_9, TUESDAY_10, TUESDAY_11 = paris(2026, 6, 2, 9), paris(2026, 6, 2, 10), paris(2026, 6, 2, 11)


@pytest.fixture
def shops(app, people, monday_morning) -> dict[str, int]:
    """Workshop A (owner Odile, employee Claire) and workshop B (owner Bruno): capacity 1, 60-minute grid and
    services."""
    with app.app_context():
        t = territory()
        a = make_repairer(t, owner=user(people["odile"]))
        organisations.add_staff(a.organisation, user(people["claire"]), "staff")
        service_a = add_service(a, "Révision", 60)
        b = make_repairer(t, "Cycles du Marais", owner=user(people["bruno"]))
        service_b = add_service(b, "Crevaison", 60)
        db.session.commit()
        return {"a": a.id, "b": b.id, "service_a": service_a.id, "service_b": service_b.id, **people}


def signed_in(app, email_address):
    client = app.test_client()
    assert login(client, email_address).status_code == 302
    return client


def book(app, repairer_id, service_id, starts_at, person_id, *, with_bike=False) -> int:
    """A resident's booking (pending: the workshops approve by hand)."""
    from plugins.bikerepair.models import Repairer, RepairService

    with app.app_context():
        t, person = territory(), user(person_id)
        bike = None
        if with_bike:
            bike = Bike(territory_id=t.id, owner_id=person.id, name="Le vélo bleu", bike_type="classique")
            db.session.add(bike)
            db.session.flush()
        appointment = book_appointment(
            t,
            db.session.get(Repairer, repairer_id),
            db.session.get(RepairService, service_id),
            starts_at,
            resident=person,
            actor=person,
            bike=bike,
            description="Le frein avant grince.",
        )
        db.session.commit()
        return appointment.id


def text(response) -> str:
    """The page as a reader sees it (entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


def status_of(app, appointment_id) -> str:
    with app.app_context():
        return db.session.scalar(select(Appointment.status).where(Appointment.id == appointment_id))


# -- the pages render ------------------------------------------------------------------------------------------------


def test_every_back_office_page_renders_for_the_owner(app, shops):
    appointment_id = book(app, shops["a"], shops["service_a"], TUESDAY_10, shops["anne"], with_bike=True)
    client = signed_in(app, ODILE)
    a = shops["a"]
    with app.app_context():
        bike_id = db.session.scalar(select(Appointment.bike_id).where(Appointment.id == appointment_id))
    for path in (
        f"{BASE}/{a}/",
        f"{BASE}/{a}/rendez-vous/{appointment_id}",
        f"{BASE}/{a}/agenda",
        f"{BASE}/{a}/agenda?jour=2026-06-02&vue=semaine",
        f"{BASE}/{a}/nouveau-rendez-vous",
        f"{BASE}/{a}/clients",
        f"{BASE}/{a}/clients/{shops['anne']}",
        f"{BASE}/{a}/clients/velos/{bike_id}",
        f"{BASE}/{a}/regles",
        f"{BASE}/{a}/fermetures",
        f"{BASE}/{a}/prestations",
        f"{BASE}/{a}/prestations/{shops['service_a']}",
        f"{BASE}/{a}/profil",
        f"{BASE}/{a}/equipe",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert "Atelier Vélo Solidaire" in page and "Cycles du Marais" not in page, path  # this workshop's page
    assert client.get(f"{BASE}/").status_code == 302  # one workshop: straight to it


# -- scenario 8: who sees what ---------------------------------------------------------------------------------------


def test_an_employee_handles_appointments_but_gets_403_on_the_owners_settings(app, shops):
    appointment_id = book(app, shops["a"], shops["service_a"], TUESDAY_10, shops["anne"])
    with app.app_context():
        from plugins.bikerepair.models import Repairer

        organisation_id = db.session.get(Repairer, shops["a"]).organisation_id
    claire = signed_in(app, CLAIRE)
    a = shops["a"]
    assert claire.get(f"{BASE}/{a}/").status_code == 200
    assert claire.get(f"{BASE}/{a}/rendez-vous/{appointment_id}").status_code == 200
    for path in ("regles", "fermetures", "prestations", f"prestations/{shops['service_a']}", "profil"):
        assert claire.get(f"{BASE}/{a}/{path}").status_code == 403, path
    assert claire.post(f"{BASE}/{a}/regles", data={"capacity": 5}).status_code == 403
    assert claire.post(f"{BASE}/{a}/fermetures", data={"start_date": "2026-06-06"}).status_code == 403
    assert claire.post(f"{BASE}/{a}/prestations", data={"name": "Freins"}).status_code == 403
    assert claire.post(f"{BASE}/{a}/profil", data={"kind": "velociste"}).status_code == 403
    # the core's opening-hours page refuses employees too
    assert claire.get(f"/libercourt/organisations/{organisation_id}/horaires").status_code == 403
    assert claire.post(f"/libercourt/organisations/{organisation_id}/horaires/fermetures").status_code == 403


def test_the_owner_of_one_workshop_cannot_see_anything_of_another(app, shops):
    theirs = book(app, shops["b"], shops["service_b"], TUESDAY_9, shops["anne"], with_bike=True)
    with app.app_context():
        bike_id = db.session.scalar(select(Appointment.bike_id).where(Appointment.id == theirs))
    odile = signed_in(app, ODILE)
    a, b = shops["a"], shops["b"]
    for path in (
        f"{BASE}/{b}/",
        f"{BASE}/{b}/rendez-vous/{theirs}",
        f"{BASE}/{a}/rendez-vous/{theirs}",  # B's appointment through A's address
        f"{BASE}/{b}/agenda",
        f"{BASE}/{b}/clients",
        f"{BASE}/{b}/clients/{shops['anne']}",
        f"{BASE}/{a}/clients/{shops['anne']}",  # Anne never booked with A
        f"{BASE}/{b}/clients/velos/{bike_id}",
        f"{BASE}/{a}/clients/velos/{bike_id}",
        f"{BASE}/{b}/rendez-vous.csv",
        f"{BASE}/{b}/regles",
    ):
        assert odile.get(path).status_code in (403, 404), path
    response = odile.post(f"{BASE}/{a}/rendez-vous/{theirs}/accepter")
    assert response.status_code == 404
    assert status_of(app, theirs) == PENDING


def test_another_workshops_appointments_never_appear_in_the_lists(app, shops):
    ours = book(app, shops["a"], shops["service_a"], TUESDAY_10, shops["anne"])
    theirs = book(app, shops["b"], shops["service_b"], TUESDAY_10, shops["claire"])
    odile = signed_in(app, ODILE)
    a = shops["a"]
    home = text(odile.get(f"{BASE}/{a}/"))
    week = text(odile.get(f"{BASE}/{a}/agenda?jour=2026-06-02&vue=semaine"))
    customers = text(odile.get(f"{BASE}/{a}/clients"))
    export = text(odile.get(f"{BASE}/{a}/rendez-vous.csv?du=2026-06-01&au=2026-06-30"))
    assert f'data-pending="{ours}"' in home and f'data-pending="{theirs}"' not in home
    assert f'data-appointment="{ours}"' in week and f'data-appointment="{theirs}"' not in week
    assert "Anne" in customers and "Claire" not in customers
    assert "Révision" in export and "Crevaison" not in export and "Claire" not in export


def test_the_back_office_home_lists_the_requests_oldest_first_with_their_expiry(app, shops):
    from platformcoop import clock

    first = book(app, shops["a"], shops["service_a"], TUESDAY_11, shops["anne"])
    with clock.frozen(paris(2026, 6, 1, 8, 40)):
        second = book(app, shops["a"], shops["service_a"], TUESDAY_9, shops["bruno"])
    page = text(signed_in(app, CLAIRE).get(f"{BASE}/{shops['a']}/"))
    assert page.index(f'data-pending="{first}"') < page.index(f'data-pending="{second}"')
    assert "expire le 04/06/2026 08:10" in page  # 72 hours after the request
    assert "expire le 04/06/2026 08:40" in page


def test_someone_who_works_for_no_workshop_is_told_so(app, shops):
    page = signed_in(app, ANNE).get(f"{BASE}/")
    assert page.status_code == 200
    assert "Vous ne travaillez pour aucun réparateur" in text(page)


# -- the staff's actions ---------------------------------------------------------------------------------------------


def test_an_employee_accepts_a_request(app, shops):
    appointment_id = book(app, shops["a"], shops["service_a"], TUESDAY_10, shops["anne"])
    response = signed_in(app, CLAIRE).post(f"{BASE}/{shops['a']}/rendez-vous/{appointment_id}/accepter")
    assert response.status_code == 302
    assert status_of(app, appointment_id) == ACCEPTED


def test_accepting_twice_answers_409_and_changes_nothing(app, shops):
    appointment_id = book(app, shops["a"], shops["service_a"], TUESDAY_10, shops["anne"])
    claire = signed_in(app, CLAIRE)
    claire.post(f"{BASE}/{shops['a']}/rendez-vous/{appointment_id}/accepter")
    again = claire.post(f"{BASE}/{shops['a']}/rendez-vous/{appointment_id}/accepter")
    assert again.status_code == 409
    assert "Rien n'a été fait" in text(again)


def test_refusing_needs_a_message(app, shops):
    appointment_id = book(app, shops["a"], shops["service_a"], TUESDAY_10, shops["anne"])
    claire = signed_in(app, CLAIRE)
    url = f"{BASE}/{shops['a']}/rendez-vous/{appointment_id}/refuser"
    empty = claire.post(url, data={"refuser-message": "  "})
    assert empty.status_code == 422
    assert "Indiquez pourquoi la demande est refusée." in text(empty)
    assert status_of(app, appointment_id) == PENDING
    assert claire.post(url, data={"refuser-message": "Pas de pièces pour ce modèle."}).status_code == 302
    assert status_of(app, appointment_id) == REFUSED


def test_proposing_a_free_time_works_and_a_full_one_is_refused(app, shops):
    appointment_id = book(app, shops["a"], shops["service_a"], TUESDAY_10, shops["anne"])
    book(app, shops["a"], shops["service_a"], TUESDAY_11, shops["bruno"])  # capacity 1: 11 h is full
    claire = signed_in(app, CLAIRE)
    url = f"{BASE}/{shops['a']}/rendez-vous/{appointment_id}/proposer"
    page = text(claire.get(f"{BASE}/{shops['a']}/rendez-vous/{appointment_id}"))
    assert TUESDAY_9.isoformat() in page and TUESDAY_11.isoformat() not in page  # the list offers free slots
    full = claire.post(url, data={"proposer-new_start": TUESDAY_11.isoformat()})
    assert full.status_code == 422
    assert "vient d'être pris" in text(full)
    assert status_of(app, appointment_id) == PENDING
    assert claire.post(url, data={"proposer-new_start": TUESDAY_9.isoformat()}).status_code == 302
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment.status == PROPOSED and appointment.proposed_starts_at == TUESDAY_9


def test_recording_the_repair_writes_the_bikes_booklet(app, shops):
    appointment_id = book(app, shops["a"], shops["service_a"], TUESDAY_10, shops["anne"], with_bike=True)
    claire = signed_in(app, CLAIRE)
    claire.post(f"{BASE}/{shops['a']}/rendez-vous/{appointment_id}/accepter")
    url = f"{BASE}/{shops['a']}/rendez-vous/{appointment_id}/realise"
    bad_price = claire.post(url, data={"realise-work_done": "Patins changés", "realise-price": "douze"})
    assert bad_price.status_code == 422
    response = claire.post(
        url, data={"realise-work_done": "Patins changés", "realise-parts": "2 patins", "realise-price": "25,50"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).status == DONE
        entry = db.session.scalars(select(BookletEntry)).one()
        assert (entry.work, entry.parts, entry.price_cents, entry.by_repairer_id) == (
            "Patins changés",
            "2 patins",
            2550,
            shops["a"],
        )
    customer = text(claire.get(f"{BASE}/{shops['a']}/clients/{shops['anne']}"))
    assert "Patins changés" in customer and "Le vélo bleu" in customer


def test_no_show_is_refused_before_the_start(app, shops):
    from platformcoop import clock

    appointment_id = book(app, shops["a"], shops["service_a"], TUESDAY_10, shops["anne"])
    claire = signed_in(app, CLAIRE)
    claire.post(f"{BASE}/{shops['a']}/rendez-vous/{appointment_id}/accepter")
    url = f"{BASE}/{shops['a']}/rendez-vous/{appointment_id}/absent"
    early = claire.post(url)
    assert early.status_code == 422
    assert "une fois son heure passée" in text(early)
    assert status_of(app, appointment_id) == ACCEPTED
    with clock.frozen(paris(2026, 6, 2, 10, 20)):
        assert claire.post(url).status_code == 302
    assert status_of(app, appointment_id) == "no_show"


def test_the_staff_cancel_with_a_reason_and_the_resident_is_told(app, shops):
    from platformcoop.notifications.models import Notification

    appointment_id = book(app, shops["a"], shops["service_a"], TUESDAY_10, shops["anne"])
    claire = signed_in(app, CLAIRE)
    url = f"{BASE}/{shops['a']}/rendez-vous/{appointment_id}/annuler"
    assert claire.post(url, data={"annuler-reason": ""}).status_code == 422
    assert status_of(app, appointment_id) == PENDING
    assert claire.post(url, data={"annuler-reason": "Atelier inondé"}).status_code == 302
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert (appointment.status, appointment.status_message) == ("cancelled", "Atelier inondé")
        told = db.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.user_id == shops["anne"])
        )
        assert told >= 1
