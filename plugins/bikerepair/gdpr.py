"""The module's part of a resident's data export and erasure (to be written)."""


def export_user_data(territory, user) -> dict:
    return {}


def erase_user_data(territory, user) -> None:
    return None
