"""Demo content: a time bank that looks alive (``flask pc demo``)."""

from __future__ import annotations


def load(territory) -> None:
    """Placeholder."""
