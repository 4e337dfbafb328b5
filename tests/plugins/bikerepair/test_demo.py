"""The demo (``make run``) shows bike repair alive in the Métropole: four repairers of every kind, their services and
appointments at every stage; the other territories get nothing."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from platformcoop.demo import load_demo
from platformcoop.extensions import db
from platformcoop.hours.models import Closure
from platformcoop.plugins.manager import get_registry
from plugins.bikerepair import demo
from plugins.bikerepair.models import Appointment, Bike, BookletEntry, Repairer, RepairService
from tests.plugins.bikerepair.support import territory


@pytest.fixture
def module_on_by_default(app, monkeypatch):
    """The demo territories get the modules on by default: bike repair among them, as it will be."""
    with app.app_context():
        module = get_registry().modules["bikerepair"]
    monkeypatch.setattr(module, "manifest", dataclasses.replace(module.manifest, default_enabled=True))


def _count(model, t) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(model.territory_id == t.id))


def test_the_demo_fills_the_metropole_with_four_repairers_and_appointments_at_every_stage(
    app, ctx, module_on_by_default
):
    assert load_demo(echo=lambda _line: None)
    mel = territory("mel")

    repairers = db.session.scalars(select(Repairer).where(Repairer.territory_id == mel.id)).all()
    assert sorted(r.kind for r in repairers) == ["atelier_associatif", "autoreparation", "itinerant", "velociste"]
    assert all(3 <= len(r.services) <= 6 and r.organisation.is_active for r in repairers)
    itinerant = next(r for r in repairers if r.kind == "itinerant")
    assert itinerant.served_communes == "Roubaix, Tourcoing, Croix, Wasquehal" and itinerant.radius_km == 10
    # the core demo's workshop opens its bookings: no second organisation of the same name
    assert len({r.organisation.name for r in repairers}) == 4
    assert "Atelier du Vélo Solidaire" in {r.organisation.name for r in repairers}

    statuses = dict(
        db.session.execute(
            select(Appointment.status, func.count())
            .where(Appointment.territory_id == mel.id)
            .group_by(Appointment.status)
        ).all()
    )
    assert set(statuses) == {"pending", "accepted", "proposed", "done", "cancelled", "no_show", "expired"}
    assert db.session.scalar(
        select(func.count()).where(Appointment.territory_id == mel.id, Appointment.resident_id.is_(None))
    )  # walk-ins
    assert _count(Bike, mel) == 4 and _count(BookletEntry, mel) >= 4
    assert _count(Closure, mel) >= 1

    # nothing anywhere else, and a second run adds nothing
    for slug in ("libercourt", "lomme"):
        other = territory(slug)
        assert _count(Repairer, other) == 0 and _count(Appointment, other) == 0 and _count(Bike, other) == 0
    before = (_count(Repairer, mel), _count(RepairService, mel), _count(Appointment, mel))
    demo.load(mel)
    assert (_count(Repairer, mel), _count(RepairService, mel), _count(Appointment, mel)) == before


def test_demo_people_see_bike_repair_on_the_metropole_home_page(app, module_on_by_default):
    # no app context around the requests: each request gets its own (and its own logged-in user)
    with app.app_context():
        load_demo(echo=lambda _line: None)
        db.session.commit()

    sophie = app.test_client()
    sophie.post("/compte/connexion", data={"email": "sophie.leroy@example.org", "password": "entraide-demo-2026"})
    home = sophie.get("/mel/").get_data(as_text=True)
    assert "4 réparateurs prennent des rendez-vous en ligne." in home and "Votre prochain rendez-vous :" in home

    claire = app.test_client()
    claire.post(
        "/compte/connexion", data={"email": "claire@cycles-de-fives.example.org", "password": "entraide-demo-2026"}
    )
    home = claire.get("/mel/").get_data(as_text=True)
    assert "1 demande de rendez-vous attend la réponse de votre atelier" in home
