"""Fixtures of the time bank's tests: Libercourt members (Anne, Bruno), a coordinator (Coralie), a Lomme member."""

from __future__ import annotations

import pytest

from tests.conftest import create_user


@pytest.fixture
def people(app, libercourt):
    return {
        "anne": create_user(app, "anne@example.org", "Anne", libercourt=("resident",)),
        "bruno": create_user(app, "bruno@example.org", "Bruno", libercourt=("resident",)),
        "coord": create_user(app, "coord@example.org", "Coralie", libercourt=("resident", "timebank.coordinator")),
    }
