"""Reports for the coordinators and statistics for the municipality dashboard."""

from __future__ import annotations

from flask_babel import gettext as _

from platformcoop.plugins import Stat
from plugins.timebank import services

NAME = "timebank"


def territory_stats(territory, start, end) -> list[Stat]:
    minutes = services.minutes_exchanged(territory, start, end)
    return [
        Stat(
            key="timebank_hours_exchanged",
            label=_("Heures échangées"),
            value=round(minutes / 60, 2),
            unit="h",
            module=NAME,
        )
    ]
