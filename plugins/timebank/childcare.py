"""Childcare: vetting, children, emergency contact, sessions from request to confirmation."""

from __future__ import annotations


def sweep(territory, now) -> None:
    """Scheduler job: reminders, auto-confirm or expiry (placeholder)."""
