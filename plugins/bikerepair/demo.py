"""Demo data for the Métropole (to be written)."""


def load(territory) -> None:
    return None
