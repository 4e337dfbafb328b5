"""The home-page block of the module (to be written)."""


def dashboard_widgets(territory, user) -> list:
    return []
