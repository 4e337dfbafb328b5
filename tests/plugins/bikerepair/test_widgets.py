"""The "Réparer son vélo" block on the territory home page: how many repairers take bookings, the member's next
appointment in local time, the requests waiting at their workshop, the way to the search."""

from __future__ import annotations

from flask import g
from flask_login import AnonymousUserMixin
from sqlalchemy import event

from platformcoop.extensions import db
from plugins.bikerepair import widgets
from plugins.bikerepair.booking import book_appointment
from tests.conftest import create_user, login
from tests.plugins.bikerepair.support import add_service, make_repairer, paris, territory, user

TUESDAY_10 = paris(2026, 6, 2, 10)


def _workshops_and_annes_request(app, people) -> None:
    """Two repairers take bookings; a third has no active service, a fourth is switched off. Anne asked for
    Tuesday 10 h at Odile's."""
    with app.app_context():
        t, anne = territory(), user(people["anne"])
        repairer = make_repairer(t, "Atelier Vélo Solidaire", owner=user(people["odile"]))
        service = add_service(repairer, "Révision", 60)
        add_service(make_repairer(t, "Cycles du Centre"), "Crevaison", 30)
        add_service(make_repairer(t, "Sans prestation"), "Ancienne", 30).active = False
        add_service(make_repairer(t, "Éteint", enabled=False), "Révision", 60)
        book_appointment(t, repairer, service, TUESDAY_10, resident=anne, actor=anne)
        db.session.commit()


def _home(app, email: str | None) -> str:
    client = app.test_client()
    if email:
        login(client, email)
    response = client.get("/libercourt/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_member_sees_the_repairers_and_their_next_appointment_in_local_time(app, people, monday_morning):
    _workshops_and_annes_request(app, people)
    html = _home(app, "anne@example.org")

    assert "Réparer son vélo" in html
    assert "2 réparateurs prennent des rendez-vous en ligne." in html
    assert "Votre prochain rendez-vous :" in html and "<strong>02/06/2026 10:00</strong>" in html
    assert "Atelier Vélo Solidaire (Révision)" in html and "En attente" in html
    assert 'href="/libercourt/reparation-velo/"' in html
    assert "Mon atelier" not in html


def test_the_repairers_staff_see_the_requests_waiting_for_an_answer(app, people, monday_morning):
    _workshops_and_annes_request(app, people)
    html = _home(app, "odile@atelier.example.org")

    assert "1 demande de rendez-vous attend la réponse de votre atelier" in html
    assert 'href="/libercourt/reparation-velo/atelier/"' in html
    assert "Votre prochain rendez-vous" not in html


def test_no_block_for_visitors_or_other_territories_people(app, people, lomme):
    create_user(app, "louis@example.org", "Louis", lomme=("resident",))
    assert "Réparer son vélo" not in _home(app, None)
    assert "Réparer son vélo" not in _home(app, "louis@example.org")
    with app.test_request_context("/libercourt/"):
        g.territory = territory()
        assert widgets.dashboard_widgets(g.territory, AnonymousUserMixin()) == []
        [widget] = widgets.dashboard_widgets(g.territory, user(people["claire"]))
        assert (widget.template, widget.context["repairers"], widget.context["next_appointment"]) == (
            "bikerepair/widgets/home.html",
            0,
            None,
        )


def test_no_block_where_the_module_is_off(app, libercourt):
    from platformcoop.plugins.manager import get_registry
    from platformcoop.tenancy.services import disable_module

    with app.app_context():
        disable_module(get_registry(), territory(), "bikerepair")
        db.session.commit()
    create_user(app, "anne@example.org", "Anne", libercourt=("resident",))
    assert "Réparer son vélo" not in _home(app, "anne@example.org")


def _queries_for_the_block(app, person_id: int) -> int:
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.test_request_context("/libercourt/"):
        g.territory = territory()
        person = user(person_id)
        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            widgets.dashboard_widgets(g.territory, person)
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
    return len(statements)


def test_the_block_costs_as_many_queries_for_ten_repairers_as_for_two(app, people, monday_morning):
    _workshops_and_annes_request(app, people)
    few = _queries_for_the_block(app, people["odile"]), _queries_for_the_block(app, people["anne"])
    with app.app_context():
        t, anne = territory(), user(people["anne"])
        for number in range(8):
            repairer = make_repairer(t, f"Atelier {number}", owner=user(people["odile"]))
            service = add_service(repairer, "Révision", 60)
            book_appointment(t, repairer, service, TUESDAY_10, resident=anne, actor=anne)
        db.session.commit()
    many = _queries_for_the_block(app, people["odile"]), _queries_for_the_block(app, people["anne"])
    assert many == few and few[0] <= 6
