"""Every core model, imported in one place so that Alembic and the app see the whole schema."""

from platformcoop.accounts.models import User
from platformcoop.audit import AuditLog
from platformcoop.notifications.models import Notification, NotificationPreference
from platformcoop.tenancy.models import Membership, MembershipRole, Territory, TerritoryHost, TerritoryModule

__all__ = [
    "AuditLog",
    "Membership",
    "MembershipRole",
    "Notification",
    "NotificationPreference",
    "Territory",
    "TerritoryHost",
    "TerritoryModule",
    "User",
]
