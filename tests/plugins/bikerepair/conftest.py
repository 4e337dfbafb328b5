"""Fixtures of the bike-repair tests: Libercourt with the module on, a repairer's owner (Odile), residents (Anne,
Bruno, Claire), a resident of Lomme, and the clock stopped on Monday 1 June 2026 at 08:10 in Paris."""

from __future__ import annotations

import pytest

from platformcoop import clock
from platformcoop.extensions import db
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy.services import enable_module
from tests.conftest import create_user
from tests.plugins.bikerepair.support import paris, territory

MONDAY_0810 = paris(2026, 6, 1, 8, 10)


@pytest.fixture
def libercourt_bikes(app, libercourt) -> int:
    """Libercourt, with the bike-repair module switched on (it is off by default)."""
    with app.app_context():
        enable_module(get_registry(), territory(), "bikerepair")
        db.session.commit()
    return libercourt


@pytest.fixture
def people(app, libercourt_bikes) -> dict[str, int]:
    return {
        "odile": create_user(app, "odile@atelier.example.org", "Odile", libercourt=("resident",)),
        "anne": create_user(app, "anne@example.org", "Anne", libercourt=("resident",)),
        "bruno": create_user(app, "bruno@example.org", "Bruno", libercourt=("resident",)),
        "claire": create_user(app, "claire@example.org", "Claire", libercourt=("resident",)),
    }


@pytest.fixture
def monday_morning():
    with clock.frozen(MONDAY_0810):
        yield MONDAY_0810
