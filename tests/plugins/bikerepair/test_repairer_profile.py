"""The owners' settings: opening booking for a repairer organisation, the booking rules (bounds refused in French,
nothing changed; changes audited), the services (price in euros or "sur devis"), the profile and its photos.
The clock stands on Monday 1 June 2026, 08:10 in Paris."""

from __future__ import annotations

import html
import io

import pytest
from PIL import Image
from sqlalchemy import select

from platformcoop.audit import AuditLog
from platformcoop.extensions import db
from platformcoop.organisations import services as organisations
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy.services import module_settings, update_module_settings
from plugins.bikerepair.models import Repairer, RepairerPhoto, RepairService
from tests.conftest import login
from tests.plugins.bikerepair.support import add_service, make_repairer, territory, user

BASE = "/libercourt/reparation-velo/atelier"
ODILE, CLAIRE = "odile@atelier.example.org", "claire@example.org"
VALID_RULES = {
    "grid_minutes": "30",
    "capacity": "3",
    "buffer_minutes": "10",
    "notice_minutes": "60",
    "horizon_days": "21",
    "auto_accept": "y",
    "pending_expiry_hours": "48",
    "cancel_deadline_hours": "12",
}


@pytest.fixture
def workshop(app, people, monday_morning) -> dict[str, int]:
    with app.app_context():
        repairer = make_repairer(territory(), owner=user(people["odile"]))
        organisations.add_staff(repairer.organisation, user(people["claire"]), "staff")
        service = add_service(repairer, "Révision", 60)
        db.session.commit()
        return {"repairer": repairer.id, "service": service.id, **people}


def signed_in(app, email_address):
    client = app.test_client()
    assert login(client, email_address).status_code == 302
    return client


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (20, 120, 40)).save(out, "PNG")
    return out.getvalue()


# -- opening booking -------------------------------------------------------------------------------------------------


def test_the_owner_of_a_repairer_organisation_opens_booking_with_the_territorys_expiry(app, people, monday_morning):
    with app.app_context():
        t = territory()
        values = {**module_settings(get_registry(), t, "bikerepair"), "pending_expiry_hours": 48}
        update_module_settings(get_registry(), t, "bikerepair", values)
        organisation = organisations.create_organisation(
            t, {"kind": "repairer", "name": "Vélo Express"}, owner=user(people["anne"])
        )
        organisations.add_staff(organisation, user(people["claire"]), "staff")
        db.session.commit()
        organisation_id = organisation.id
    page = text(signed_in(app, "anne@example.org").get(f"{BASE}/"))
    assert "Ouvrir la prise de rendez-vous" in page and "Vélo Express" in page
    assert signed_in(app, CLAIRE).post(f"{BASE}/ouvrir/{organisation_id}").status_code == 403  # employees cannot
    response = signed_in(app, "anne@example.org").post(f"{BASE}/ouvrir/{organisation_id}")
    assert response.status_code == 302
    with app.app_context():
        repairer = db.session.scalars(select(Repairer).where(Repairer.organisation_id == organisation_id)).one()
        assert (repairer.pending_expiry_hours, repairer.enabled) == (48, True)
    assert signed_in(app, "anne@example.org").get(f"{BASE}/").status_code == 302  # now straight to it


# -- rules -----------------------------------------------------------------------------------------------------------


def test_the_owner_changes_the_rules_and_it_is_audited(app, workshop):
    response = signed_in(app, ODILE).post(f"{BASE}/{workshop['repairer']}/regles", data=VALID_RULES)
    assert response.status_code == 302
    with app.app_context():
        repairer = db.session.get(Repairer, workshop["repairer"])
        assert (repairer.grid_minutes, repairer.capacity, repairer.buffer_minutes, repairer.auto_accept) == (
            30,
            3,
            10,
            True,
        )
        log = db.session.scalars(select(AuditLog).where(AuditLog.action == "bikerepair.rules_changed")).one()
        assert log.details["changes"]["capacity"] == [1, 3] and log.actor_id == workshop["odile"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("capacity", "11", "Entre 1 et 10 places."),
        ("capacity", "0", "Entre 1 et 10 places."),
        ("buffer_minutes", "241", "Entre 0 et 240 minutes."),
        ("grid_minutes", "20", "N'est pas un choix valide."),
        ("notice_minutes", "abc", "N'est pas un entier valide."),
        ("horizon_days", "0", "Entre 1 et 365 jours."),
        ("pending_expiry_hours", "0", "Entre 1 et 240 heures."),
    ],
)
def test_rules_out_of_bounds_are_refused_in_french_and_nothing_changes(app, workshop, field, value, message):
    response = signed_in(app, ODILE).post(f"{BASE}/{workshop['repairer']}/regles", data={**VALID_RULES, field: value})
    assert response.status_code == 422
    assert message in text(response)
    with app.app_context():
        repairer = db.session.get(Repairer, workshop["repairer"])
        assert (repairer.capacity, repairer.grid_minutes, repairer.auto_accept) == (1, 60, False)
        assert db.session.scalars(select(AuditLog).where(AuditLog.action == "bikerepair.rules_changed")).all() == []


def test_the_rules_page_links_to_the_opening_hours(app, workshop):
    page = text(signed_in(app, ODILE).get(f"{BASE}/{workshop['repairer']}/regles"))
    with app.app_context():
        organisation_id = db.session.get(Repairer, workshop["repairer"]).organisation_id
    assert f"/libercourt/organisations/{organisation_id}/horaires" in page


# -- services --------------------------------------------------------------------------------------------------------


def test_the_owner_adds_a_service_with_a_price_in_euros(app, workshop):
    odile = signed_in(app, ODILE)
    url = f"{BASE}/{workshop['repairer']}/prestations"
    data = {"name": "Freins", "duration_minutes": "30", "price": "12,50", "active": "y"}
    assert odile.post(url, data=data).status_code == 302
    assert odile.post(url, data={**data, "name": "Diagnostic", "price": ""}).status_code == 302
    with app.app_context():
        added = {s.name: s.price_cents for s in db.session.scalars(select(RepairService)) if s.name != "Révision"}
        assert added == {"Freins": 1250, "Diagnostic": None}
    assert "sur devis" in text(odile.get(url))


def test_a_service_too_short_or_with_a_bad_price_is_refused(app, workshop):
    odile = signed_in(app, ODILE)
    url = f"{BASE}/{workshop['repairer']}/prestations"
    short = odile.post(url, data={"name": "Freins", "duration_minutes": "3"})
    assert short.status_code == 422 and "Entre 5 et 480 minutes." in text(short)
    bad = odile.post(url, data={"name": "Freins", "duration_minutes": "30", "price": "-2"})
    assert bad.status_code == 422 and "Un montant entre 0 et 10000 euros." in text(bad)
    with app.app_context():
        assert [s.name for s in db.session.scalars(select(RepairService))] == ["Révision"]


def test_the_owner_edits_and_switches_off_a_service(app, workshop):
    odile = signed_in(app, ODILE)
    url = f"{BASE}/{workshop['repairer']}/prestations/{workshop['service']}"
    assert "30,00" in text(odile.get(url))
    assert (
        odile.post(url, data={"name": "Révision complète", "duration_minutes": "90", "price": "45"}).status_code == 302
    )
    with app.app_context():
        service = db.session.get(RepairService, workshop["service"])
        assert (service.name, service.duration_minutes, service.price_cents, service.active) == (
            "Révision complète",
            90,
            4500,
            False,
        )


# -- profile and photos ----------------------------------------------------------------------------------------------


def test_the_owner_edits_the_profile_and_pauses_booking(app, workshop):
    odile = signed_in(app, ODILE)
    response = odile.post(
        f"{BASE}/{workshop['repairer']}/profil",
        data={
            "kind": "itinerant",
            "bike_types": ["vae", "cargo"],
            "served_communes": "Libercourt, Oignies",
            "radius_km": "15",
            "payment_notes": "Espèces, chèque",
            "paused": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        repairer = db.session.get(Repairer, workshop["repairer"])
        assert (repairer.kind, repairer.bike_types, repairer.radius_km, repairer.enabled) == (
            "itinerant",
            ["vae", "cargo"],
            15,
            False,
        )
        assert db.session.scalars(select(AuditLog).where(AuditLog.action == "bikerepair.profile_changed")).one()


def test_the_owner_adds_and_removes_a_photo(app, workshop):
    odile = signed_in(app, ODILE)
    url = f"{BASE}/{workshop['repairer']}/profil/photos"
    response = odile.post(
        url,
        data={"photo": (io.BytesIO(png()), "atelier.png"), "caption": "L'atelier"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        photo = db.session.scalars(select(RepairerPhoto)).one()
        assert photo.caption == "L'atelier" and not photo.upload.private
        photo_id = photo.id
    assert odile.post(f"{url}/{photo_id}/supprimer").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(RepairerPhoto)).all() == []


def test_a_file_that_is_not_an_image_is_refused(app, workshop):
    response = signed_in(app, ODILE).post(
        f"{BASE}/{workshop['repairer']}/profil/photos",
        data={"photo": (io.BytesIO(b"not an image"), "atelier.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(RepairerPhoto)).all() == []


def test_the_staff_page_lists_the_team_with_their_roles(app, workshop):
    page = text(signed_in(app, CLAIRE).get(f"{BASE}/{workshop['repairer']}/equipe"))
    assert "Odile" in page and "Claire" in page and "Responsable" in page and "Équipe" in page
