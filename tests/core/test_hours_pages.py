"""The opening-hours pages: owners edit the week and the closures without JavaScript, the public page shows them in
French, administrators keep the territory's days off."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from platformcoop import clock
from platformcoop.extensions import db
from platformcoop.hours.models import Closure, Schedule, TerritoryHoliday, WeeklyRange
from tests.conftest import create_user, login
from tests.core.test_organisations import add_organisation


@pytest.fixture
def workshop(app, libercourt) -> int:
    create_user(app, "owner@example.org", "Dominique", libercourt=("resident",))
    return add_organisation(app, "libercourt", "Atelier du Vélo", owner="owner@example.org")


@pytest.fixture
def owner(app, workshop):
    client = app.test_client()
    login(client, "owner@example.org")
    return client


def week_rows(app) -> list[tuple[int, int, int]]:
    with app.app_context():
        return db.session.execute(
            select(WeeklyRange.weekday, WeeklyRange.start_minute, WeeklyRange.end_minute).order_by(
                WeeklyRange.weekday, WeeklyRange.start_minute
            )
        ).all()


def monday(owner, workshop, **fields):
    data = {f"jour0-{name}": value for name, value in fields.items()}
    return owner.post(f"/libercourt/organisations/{workshop}/horaires/jour/0", data=data)


def test_an_owner_sets_monday_to_two_ranges(app, owner, workshop):
    response = monday(owner, workshop, start_1="09:00", end_1="12:00", start_2="14h", end_2="18 h 30")

    assert response.status_code == 302
    assert week_rows(app) == [(0, 540, 720), (0, 840, 1110)]
    page = owner.get(f"/libercourt/organisations/{workshop}/horaires").get_data(as_text=True)
    assert 'value="09:00"' in page and 'value="18:30"' in page


def test_overlapping_ranges_get_a_french_error_next_to_the_field_and_nothing_changes(app, owner, workshop):
    monday(owner, workshop, start_1="09:00", end_1="12:00")

    response = monday(owner, workshop, start_1="09:00", end_1="12:00", start_2="11:00", end_2="14:00")

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<p class="field__error" id="jour0-start_2-erreur"><span>Cette plage chevauche celle de 9 h à 12 h.' in page
    assert week_rows(app) == [(0, 540, 720)]


def test_a_half_filled_range_or_a_wrong_time_is_refused(app, owner, workshop):
    half = monday(owner, workshop, start_1="09:00")
    wrong = monday(owner, workshop, start_1="9h75", end_1="12:00")

    assert "Indiquez l'heure d'ouverture et l'heure de fermeture." in html.unescape(half.get_data(as_text=True))
    assert "Indiquez une heure comme 9:00 ou 14:30." in wrong.get_data(as_text=True)
    assert week_rows(app) == []


def test_a_closure_typed_in_local_time_is_stored_in_utc(app, owner, workshop):
    response = owner.post(
        f"/libercourt/organisations/{workshop}/horaires/fermetures",
        data={
            "start_date": "2026-06-13",
            "start_time": "14:00",
            "end_date": "2026-06-13",
            "end_time": "",
            "reason": "Inventaire",
        },
    )

    assert response.status_code == 302
    with app.app_context():
        closure = db.session.scalars(select(Closure)).one()
        assert (closure.starts_at, closure.ends_at) == (
            datetime(2026, 6, 13, 12, tzinfo=UTC),
            datetime(2026, 6, 13, 22, tzinfo=UTC),
        )


def test_a_closure_ending_before_it_starts_is_refused(app, owner, workshop):
    response = owner.post(
        f"/libercourt/organisations/{workshop}/horaires/fermetures",
        data={"start_date": "2026-06-13", "start_time": "14:00", "end_date": "2026-06-12", "end_time": ""},
    )

    assert response.status_code == 400
    assert "La fin de la fermeture doit être après son début." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Closure)).all() == []


def test_the_public_page_shows_the_week_and_the_next_closures_in_french(app, client, owner, workshop):
    monday(owner, workshop, start_1="09:00", end_1="12:00", start_2="14:00", end_2="18:00")
    owner.post(
        f"/libercourt/organisations/{workshop}/horaires/fermetures",
        data={"start_date": "2026-06-15", "start_time": "14:00", "end_date": "2026-06-15", "end_time": "18:00"},
    )

    with clock.frozen(datetime(2026, 6, 1, 8, tzinfo=UTC)):
        page = client.get(f"/libercourt/organisations/{workshop}").get_data(as_text=True)

    assert "Lundi : 9 h – 12 h, 14 h – 18 h" in page
    assert "Dimanche : Fermé" in page
    assert "le lundi 15 juin 2026 de 14 h à 18 h" in page


def test_public_holidays_can_be_kept_open_and_alsace_moselle_chosen(app, owner, workshop):
    owner.post(
        f"/libercourt/organisations/{workshop}/horaires/reglages",
        data={"closed_on_territory_holidays": "y", "holiday_region": "57"},
    )

    with app.app_context():
        schedule = db.session.scalars(select(Schedule)).one()
        assert not schedule.closed_on_public_holidays
        assert schedule.closed_on_territory_holidays
        assert schedule.holiday_region == "57"


def test_plain_staff_and_visitors_may_not_edit_the_hours(app, client, workshop):
    create_user(app, "staff@example.org", "Staff", libercourt=("resident",))
    from tests.core.test_organisations_staff import add_staff

    add_staff(app, workshop, "staff@example.org")
    staff = app.test_client()
    login(staff, "staff@example.org")

    assert staff.get(f"/libercourt/organisations/{workshop}/horaires").status_code == 403
    assert monday(staff, workshop, start_1="09:00", end_1="12:00").status_code == 403
    assert client.get(f"/libercourt/organisations/{workshop}/horaires").status_code == 302
    assert week_rows(app) == []


def test_an_admin_adds_and_removes_a_territory_day_off(app, libercourt_admin):
    with clock.frozen(datetime(2026, 6, 1, 8, tzinfo=UTC)):
        added = libercourt_admin.post("/libercourt/admin/jours-feries/", data={"day": "2026-09-14", "label": "Fête"})
        page = libercourt_admin.get("/libercourt/admin/jours-feries/").get_data(as_text=True)
        duplicate = libercourt_admin.post("/libercourt/admin/jours-feries/", data={"day": "2026-09-14", "label": "X"})

    assert added.status_code == 302
    assert "lundi 14 septembre 2026 : Fête" in page
    assert "lundi 6 avril 2026 : Lundi de Pâques" in page
    assert duplicate.status_code == 400
    assert "Ce jour est déjà un jour de fermeture du territoire." in duplicate.get_data(as_text=True)
    with app.app_context():
        holiday = db.session.scalars(select(TerritoryHoliday)).one()
        assert holiday.day == date(2026, 9, 14)

    libercourt_admin.post(f"/libercourt/admin/jours-feries/{holiday.id}/supprimer")

    with app.app_context():
        assert db.session.scalars(select(TerritoryHoliday)).all() == []


def test_a_lomme_admin_cannot_remove_a_libercourt_day_off(app, libercourt_admin, lomme_admin):
    libercourt_admin.post("/libercourt/admin/jours-feries/", data={"day": "2026-09-14", "label": "Fête"})
    with app.app_context():
        holiday_id = db.session.scalars(select(TerritoryHoliday.id)).one()

    assert lomme_admin.post(f"/lomme/admin/jours-feries/{holiday_id}/supprimer").status_code == 404
    assert lomme_admin.post(f"/libercourt/admin/jours-feries/{holiday_id}/supprimer").status_code == 403
