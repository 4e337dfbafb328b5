"""Every core model, imported in one place so that Alembic and the app see the whole schema."""

from platformcoop.accounts.models import User
from platformcoop.audit import AuditLog
from platformcoop.hours.models import Closure, Schedule, TerritoryHoliday, WeeklyRange
from platformcoop.media.models import Upload
from platformcoop.messaging.models import Conversation, ConversationParticipant, ConversationReadState, Message
from platformcoop.moderation.models import ModeratedContent, Report
from platformcoop.notifications.models import (
    Notification,
    NotificationPreference,
    OutboxAttachment,
    OutboxMessage,
)
from platformcoop.organisations.models import Organisation, OrganisationInvitation, OrganisationStaff
from platformcoop.scheduling.models import JobRunState
from platformcoop.tenancy.models import Membership, MembershipRole, Territory, TerritoryHost, TerritoryModule

__all__ = [
    "AuditLog",
    "Closure",
    "Conversation",
    "ConversationParticipant",
    "ConversationReadState",
    "JobRunState",
    "Membership",
    "MembershipRole",
    "Message",
    "ModeratedContent",
    "Notification",
    "NotificationPreference",
    "Organisation",
    "OrganisationInvitation",
    "OrganisationStaff",
    "OutboxAttachment",
    "OutboxMessage",
    "Report",
    "Schedule",
    "Territory",
    "TerritoryHoliday",
    "TerritoryHost",
    "TerritoryModule",
    "Upload",
    "User",
    "WeeklyRange",
]
