"""Notifications: in-app inbox, e-mail, preferences per kind."""

from platformcoop.notifications.service import notify

__all__ = ["notify"]
