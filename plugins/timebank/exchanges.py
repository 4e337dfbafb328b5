"""Exchanges other than childcare: recorded by the receiver, confirmed by the provider, or asked for by the provider."""

from __future__ import annotations


def sweep(territory, now) -> None:
    """Scheduler job: remind, then expire, unanswered requests (placeholder)."""
