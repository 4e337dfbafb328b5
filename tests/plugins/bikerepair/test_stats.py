"""The municipality's figures of bike repair: each figure against hand-made appointments, placed in the period by its
own instant (creation, decision, cancellation or start); another territory's rows never count; a few queries."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event

from platformcoop import clock
from platformcoop.accounts import services as accounts
from platformcoop.extensions import db
from platformcoop.organisations.models import SUSPENDED
from plugins.bikerepair.models import Appointment, Bike
from plugins.bikerepair.stats import territory_stats
from tests.plugins.bikerepair.support import add_service, make_repairer, paris, territory, user

JUNE = (paris(2026, 6, 1), paris(2026, 7, 1))
MAY_20 = paris(2026, 5, 20, 10)


def _stats(t, start: datetime = JUNE[0], end: datetime = JUNE[1]) -> dict:
    return {stat.key: stat.value for stat in territory_stats(t, start, end)}


def _appointment(t, service, status: str, starts_at: datetime, *, created_at: datetime, resident=None, **values):
    """An appointment row written directly (a walk-in unless ``resident``)."""
    appointment = Appointment(
        territory_id=t.id,
        repairer_id=service.repairer_id,
        service_id=service.id,
        resident_id=getattr(resident, "id", None),
        walk_in_name="" if resident else "Passant",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=service.duration_minutes),
        status=status,
        created_at=created_at,
        **values,
    )
    db.session.add(appointment)
    db.session.flush()
    return appointment


def _bike(t, owner, bike_type: str) -> Bike:
    bike = Bike(territory_id=t.id, owner_id=owner.id, name=f"Vélo {bike_type}", bike_type=bike_type)
    db.session.add(bike)
    db.session.flush()
    return bike


@pytest.fixture
def service(ctx, people):
    t = territory()
    return add_service(make_repairer(t, owner=user(people["odile"]), kind="atelier_associatif"), "Révision", 60)


def test_requests_decisions_and_outcomes_are_each_counted_by_their_own_instant(service, people):
    t, anne = territory(), user(people["anne"])
    june = lambda day, hour=10: paris(2026, 6, day, hour)  # noqa: E731
    _appointment(t, service, "pending", june(20), created_at=june(1))  # requested
    _appointment(t, service, "accepted", june(10), created_at=MAY_20, decided_at=june(2))  # accepted (in June)
    _appointment(t, service, "done", june(5), created_at=june(3), decided_at=june(3))  # requested, accepted, done
    _appointment(t, service, "done", paris(2026, 5, 30, 10), created_at=MAY_20, decided_at=MAY_20)  # May: nothing
    _appointment(t, service, "no_show", june(8), created_at=june(1), decided_at=june(1))  # requested, accepted, no-show
    _appointment(t, service, "cancelled", june(9), created_at=MAY_20, cancelled_at=june(4))  # cancelled
    _appointment(t, service, "cancelled", june(30), created_at=june(2), cancelled_at=paris(2026, 7, 2))  # requested
    _appointment(t, service, "refused", june(12), created_at=june(5), decided_at=june(6), resident=anne)
    _appointment(t, service, "expired", june(15), created_at=june(6), decided_at=june(9), resident=anne)
    _appointment(t, service, "accepted", june(25), created_at=june(7))  # accepted at once (no decision time)
    db.session.commit()

    stats = _stats(t)
    assert stats["bikerepair_requested"] == 7
    assert stats["bikerepair_accepted"] == 4
    assert (stats["bikerepair_done"], stats["bikerepair_no_show"], stats["bikerepair_cancelled"]) == (1, 1, 1)
    assert (stats["bikerepair_refused"], stats["bikerepair_expired"]) == (1, 1)
    may = _stats(t, paris(2026, 5, 1), paris(2026, 6, 1))
    assert (may["bikerepair_requested"], may["bikerepair_accepted"], may["bikerepair_done"]) == (3, 1, 1)


def test_the_median_delay_to_the_first_available_slot_is_in_hours_to_one_decimal(service, people):
    t, anne = territory(), user(people["anne"])
    created = paris(2026, 6, 2, 9)
    for hours in (2, 4, 10, 30):
        _appointment(
            t, service, "pending", created + timedelta(days=3), created_at=created, resident=anne,
            first_slot_at=created + timedelta(hours=hours),
        )  # fmt: skip
    _appointment(
        t, service, "accepted", created + timedelta(days=3), created_at=created
    )  # staff-entered: no first slot
    _appointment(  # created in May: another period
        t, service, "done", paris(2026, 6, 3, 9), created_at=MAY_20, first_slot_at=MAY_20 + timedelta(hours=100)
    )
    db.session.commit()
    assert _stats(t)["bikerepair_first_slot_delay"] == 7.0  # (4 + 10) / 2

    _appointment(
        t, service, "pending", created + timedelta(days=3), created_at=created, resident=anne,
        first_slot_at=created + timedelta(hours=5, minutes=15),
    )  # fmt: skip
    db.session.commit()
    assert _stats(t)["bikerepair_first_slot_delay"] == 5.2  # 5 h 15 rounded to one decimal
    assert _stats(t, paris(2026, 7, 1), paris(2026, 8, 1))["bikerepair_first_slot_delay"] == 0  # none recorded


def test_bikes_repaired_are_counted_per_bike_type_and_without_a_bike_as_unspecified(service, people):
    t, anne, bruno = territory(), user(people["anne"]), user(people["bruno"])
    vae, cargo, classic = _bike(t, anne, "vae"), _bike(t, bruno, "cargo"), _bike(t, bruno, "classique")
    day = paris(2026, 6, 10, 10)
    for bike in (vae, vae, cargo):
        _appointment(t, service, "done", day, created_at=day, resident=anne, bike_id=bike.id)
    _appointment(t, service, "done", day, created_at=day)  # a walk-in: no bike
    _appointment(t, service, "done", paris(2026, 5, 10, 10), created_at=MAY_20, resident=anne, bike_id=vae.id)
    _appointment(t, service, "accepted", day, created_at=day, resident=bruno, bike_id=classic.id)  # not done
    db.session.commit()

    stats = _stats(t)
    assert stats["bikerepair_repaired_vae"] == 2 and stats["bikerepair_repaired_cargo"] == 1
    assert stats["bikerepair_repaired_non_precise"] == 1
    assert stats["bikerepair_repaired_classique"] == 0 and stats["bikerepair_done"] == 4


def test_active_repairers_and_the_share_of_associative_workshops_are_a_snapshot(ctx, people):
    t, odile = territory(), user(people["odile"])
    make_repairer(t, "Atelier associatif", owner=odile, kind="atelier_associatif")
    make_repairer(t, "Autoréparation", kind="autoreparation")
    make_repairer(t, "Vélociste", kind="velociste")
    make_repairer(t, "Itinérant éteint", kind="itinerant", enabled=False)
    make_repairer(t, "Atelier suspendu", kind="atelier_associatif").organisation.status = SUSPENDED
    db.session.commit()

    for period in (JUNE, (paris(2025, 1, 1), paris(2025, 2, 1))):
        stats = _stats(t, *period)
        assert stats["bikerepair_active_repairers"] == 3
        assert stats["bikerepair_associative_share"] == 66.7


def test_another_territorys_rows_never_count(app, lomme, people, service):
    lomme = territory("lomme")
    louis = accounts.create_user("louis@example.org", "mot de passe de Louis", "Louis", confirmed=True)
    elsewhere = add_service(make_repairer(lomme, "Atelier de Lomme", owner=louis, kind="atelier_associatif"))
    day = paris(2026, 6, 10, 10)
    bike = _bike(lomme, louis, "vae")
    for status in ("pending", "accepted", "done", "no_show", "refused", "expired"):
        _appointment(lomme, elsewhere, status, day, created_at=day, decided_at=day, resident=louis, bike_id=bike.id,
                     first_slot_at=day + timedelta(hours=3))  # fmt: skip
    _appointment(lomme, elsewhere, "cancelled", day, created_at=day, cancelled_at=day)
    db.session.commit()

    libercourt = _stats(territory())
    snapshot = {"bikerepair_active_repairers", "bikerepair_associative_share"}
    assert all(value == 0 for key, value in libercourt.items() if key not in snapshot)
    assert libercourt["bikerepair_active_repairers"] == 1  # Odile's workshop only
    there = _stats(lomme)
    assert there["bikerepair_requested"] == 7 and there["bikerepair_done"] == 1
    assert there["bikerepair_repaired_vae"] == 1 and there["bikerepair_first_slot_delay"] == 3.0


def test_the_figures_cost_four_queries_whatever_the_number_of_appointments(app, service, people):
    t, anne = territory(), user(people["anne"])
    for day in range(1, 29):
        bike = _bike(t, anne, "vae")
        _appointment(t, service, "done", paris(2026, 6, day, 10), created_at=paris(2026, 6, day, 8), resident=anne,
                     bike_id=bike.id, first_slot_at=paris(2026, 6, day, 9))  # fmt: skip
    db.session.commit()
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    assert t.id  # loaded before counting
    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        stats = territory_stats(t, *JUNE)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert len(statements) == 4
    assert {s.key: s.value for s in stats}["bikerepair_done"] == 28


def test_the_key_figures_are_charted_and_the_others_are_for_the_period(service):
    stats = territory_stats(territory(), *JUNE)
    assert {s.module for s in stats} == {"bikerepair"}
    assert {s.key for s in stats if s.chart} == {"bikerepair_requested", "bikerepair_done", "bikerepair_cancelled"}


def test_the_dashboard_shows_the_figures_and_charts_the_requests_per_month(app, people, libercourt_admin):
    with app.app_context():
        t = territory()
        service = add_service(make_repairer(t, owner=user(people["odile"])))
        now = clock.now()
        _appointment(t, service, "pending", now + timedelta(days=2), created_at=now)
        db.session.commit()
    html = libercourt_admin.get("/libercourt/admin/").get_data(as_text=True)
    assert "Rendez-vous demandés" in html and "Part des ateliers associatifs parmi les réparateurs actifs" in html
    series = libercourt_admin.get("/libercourt/admin/series.csv?serie=bikerepair_requested")
    assert series.status_code == 200
    assert libercourt_admin.get("/libercourt/admin/series.csv?serie=bikerepair_repaired_vae").status_code == 404
