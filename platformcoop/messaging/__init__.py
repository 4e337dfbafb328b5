"""Conversations between residents and organisations, attached to any module object.

Modules start one from their pages ("Contacter") with :func:`start_conversation`; people read and answer at
``/<territory>/messages``. Rules live in :mod:`platformcoop.messaging.services`.
"""

from platformcoop.messaging.services import (
    MessagingError,
    erase_user_messages,
    export_user_messages,
    post_message,
    start_conversation,
    unread_count,
)

__all__ = [
    "MessagingError",
    "erase_user_messages",
    "export_user_messages",
    "post_message",
    "start_conversation",
    "unread_count",
]
