"""Figures for the municipality's dashboard (to be written)."""


def territory_stats(territory, start, end) -> list:
    return []
