"""Messaging rules: who takes part, who may read, what is unread, who is told about a new message.

A conversation has two *sides*: each is a user or an organisation (every member of its staff reads and answers for
it). Modules start conversations from their pages ("Contacter") with :func:`start_conversation`, which reuses the
conversation already open for the same object and the same participants.

New-message notifications (in-app and e-mail) are throttled per conversation and recipient: at most one per
``MESSAGE_NOTIFY_INTERVAL_MINUTES`` (15 by default). The unread counter on the messages page and in the header
tells about the rest. The throttle is a conditional UPDATE, so two messages posted at once notify only once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, delete, exists, func, or_, select, update

from platformcoop.accounts.models import User
from platformcoop.accounts.permissions import can
from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.messaging.models import Conversation, ConversationParticipant, ConversationReadState, Message
from platformcoop.notifications.kinds import NEW_MESSAGE
from platformcoop.organisations.models import Organisation, OrganisationStaff
from platformcoop.tenancy.models import MEMBERSHIP_ACTIVE, Membership

MAX_BODY_LENGTH = 5000
NOTIFICATION_KIND = NEW_MESSAGE  # declared with the core's other kinds, so people can choose how they hear of it
FORMER_MEMBER = _l("Ancien membre")


class MessagingError(ValueError):
    """A messaging rule was broken; the message is translated and meant for the user."""


@dataclass(frozen=True)
class Side:
    """Who a person speaks for in a conversation: themselves, or an organisation whose staff they are."""

    user_id: int | None = None
    organisation_id: int | None = None


# -- organisations -----------------------------------------------------------------------------------------------


def _staff_organisation_ids(user_id: int) -> Select:
    return select(OrganisationStaff.organisation_id).where(OrganisationStaff.user_id == user_id)


def organisation_names(organisation_ids) -> dict[int, str]:
    ids = {i for i in organisation_ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all())


# -- message bodies ---------------------------------------------------------------------------------------------------


def clean_body(body: str | None) -> str:
    """The body as stored: line breaks normalised, surrounding blanks removed, 1 to 5000 characters."""
    text = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise MessagingError(_("Écrivez votre message."))
    if len(text) > MAX_BODY_LENGTH:
        raise MessagingError(_("Votre message est trop long (5 000 caractères au plus)."))
    return text


# -- who may read ---------------------------------------------------------------------------------------------------


def accessible_conversation_ids(user_id: int) -> Select:
    """Conversations where the user takes part, in person or through an organisation's staff."""
    return select(ConversationParticipant.conversation_id).where(
        or_(
            ConversationParticipant.user_id == user_id,
            ConversationParticipant.organisation_id.in_(_staff_organisation_ids(user_id)),
        )
    )


def side_of(conversation: Conversation, user) -> Side | None:
    """The side ``user`` speaks for, or None when they may not read the conversation."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if any(p.user_id == user.id for p in conversation.participants):
        return Side(user_id=user.id)
    organisation_ids = {p.organisation_id for p in conversation.participants if p.organisation_id}
    if organisation_ids:
        staff_of = set(db.session.scalars(_staff_organisation_ids(user.id)))
        for organisation_id in sorted(organisation_ids & staff_of):
            return Side(organisation_id=organisation_id)
    return None


def conversation_for(territory, user, conversation_id) -> Conversation | None:
    """The conversation, when it is in ``territory`` and ``user`` may read it; None otherwise (the view's 404)."""
    try:
        conversation_id = int(conversation_id)
    except (TypeError, ValueError):
        return None
    conversation = db.session.scalar(
        select(Conversation).where(Conversation.territory_id == territory.id, Conversation.id == conversation_id)
    )
    if conversation is None or side_of(conversation, user) is None:
        return None
    return conversation


def _require_active_member(territory, user) -> None:
    if not can(user, "territory.use", territory):
        raise MessagingError(_("Vous devez être membre actif de ce territoire pour écrire."))


def _is_active_member(territory, user) -> bool:
    membership = user.membership_in(territory)
    return not user.disabled and membership is not None and membership.is_active


# -- unread ---------------------------------------------------------------------------------------------------------


def _unread_clause(user_id: int):
    """True for a conversation (joined to the user's read state) with a message by someone else, not yet read."""
    return exists(
        select(Message.id).where(
            Message.conversation_id == Conversation.id,
            or_(Message.author_id.is_(None), Message.author_id != user_id),
            Message.id > func.coalesce(ConversationReadState.last_read_message_id, 0),
        )
    )


def _with_read_state(statement: Select, territory, user_id: int) -> Select:
    return statement.outerjoin(
        ConversationReadState,
        and_(ConversationReadState.conversation_id == Conversation.id, ConversationReadState.user_id == user_id),
    ).where(Conversation.territory_id == territory.id, Conversation.id.in_(accessible_conversation_ids(user_id)))


def unread_count(territory, user) -> int:
    """How many of the user's conversations in ``territory`` hold a message they have not read (one query)."""
    statement = _with_read_state(select(func.count()).select_from(Conversation), territory, user.id)
    return db.session.scalar(statement.where(_unread_clause(user.id))) or 0


def conversations_of(territory, user) -> Select:
    """Rows of (conversation, unread) for the user in ``territory``, newest activity first."""
    statement = select(Conversation, _unread_clause(user.id).label("unread"))
    return _with_read_state(statement, territory, user.id).order_by(
        Conversation.last_message_at.desc(), Conversation.id.desc()
    )


def _insert_ignoring_duplicates(model, rows: list[dict[str, Any]], keys: list[str]) -> list[int]:
    """INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL, so that the unique constraint settles races.

    Returns the ids of the rows actually inserted.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = model.__table__
    statement = insert(table).values(rows).on_conflict_do_nothing(index_elements=keys).returning(table.c.id)
    return list(db.session.scalars(statement))


def _ensure_read_states(conversation: Conversation, user_ids) -> None:
    rows = [
        {"territory_id": conversation.territory_id, "conversation_id": conversation.id, "user_id": user_id}
        for user_id in sorted(set(user_ids))
    ]
    if rows:
        _insert_ignoring_duplicates(ConversationReadState, rows, ["conversation_id", "user_id"])


def mark_read(conversation: Conversation, user) -> None:
    """Everything in the conversation up to now counts as read by ``user``."""
    last_id = db.session.scalar(select(func.max(Message.id)).where(Message.conversation_id == conversation.id))
    if last_id is None:
        return
    _ensure_read_states(conversation, [user.id])
    db.session.execute(
        update(ConversationReadState)
        .where(
            ConversationReadState.conversation_id == conversation.id,
            ConversationReadState.user_id == user.id,
            ConversationReadState.last_read_message_id < last_id,
        )
        .values(last_read_message_id=last_id, last_read_at=now())
    )


# -- starting and answering ------------------------------------------------------------------------------------------


def thread_key(subject_type: str | None, subject_id: int | None, parties: list[tuple[str, int]]) -> str:
    """What makes a conversation unique in a territory: its object and the set of its participants."""
    people = ",".join(sorted(f"{kind}{ident}" for kind, ident in set(parties)))
    return f"{subject_type or '-'}:{subject_id if subject_id is not None else '-'}|{people}"


def _subject_reference(territory, subject_obj) -> tuple[str | None, int | None]:
    if subject_obj is None:
        return None, None
    if getattr(subject_obj, "territory_id", territory.id) != territory.id:
        raise ValueError("the conversation's subject belongs to another territory")
    if getattr(subject_obj, "id", None) is None:
        raise ValueError("the conversation's subject has no id yet (flush it first)")
    return getattr(type(subject_obj), "__tablename__", type(subject_obj).__name__), subject_obj.id


def _check_reachable_user(territory, author, with_user) -> None:
    if with_user.id == author.id:
        raise MessagingError(_("Vous ne pouvez pas vous écrire à vous-même."))
    if not _is_active_member(territory, with_user):
        raise MessagingError(_("Cette personne ne peut pas recevoir de messages sur ce territoire."))


def _check_reachable_organisation(territory, author, organisation, as_organisation) -> None:
    if organisation.territory_id != territory.id:
        raise ValueError("the organisation belongs to another territory")
    if not organisation.is_active:
        raise MessagingError(_("Cette organisation ne peut pas recevoir de messages pour le moment."))
    if as_organisation is None and organisation.id in set(db.session.scalars(_staff_organisation_ids(author.id))):
        raise MessagingError(_("Vous faites partie de cette organisation."))


def _parties(territory, author, with_user, with_organisation, as_organisation) -> list[tuple[str, int]]:
    if (with_user is None) == (with_organisation is None):
        raise ValueError("give exactly one of with_user and with_organisation")
    if as_organisation is not None:
        if as_organisation.territory_id != territory.id or as_organisation.id not in set(
            db.session.scalars(_staff_organisation_ids(author.id))
        ):
            raise MessagingError(_("Vous ne faites pas partie de cette organisation."))
        own = ("o", as_organisation.id)
    else:
        own = ("u", author.id)
    if with_user is not None:
        _check_reachable_user(territory, author, with_user)
        other = ("u", with_user.id)
    else:
        _check_reachable_organisation(territory, author, with_organisation, as_organisation)
        other = ("o", with_organisation.id)
    if own == other:
        raise MessagingError(_("Vous faites partie de cette organisation."))
    return [own, other]


def contact_problem(territory, author, with_user=None, with_organisation=None, as_organisation=None) -> str | None:
    """Why ``author`` may not write to this user or organisation (a message for them), or None when they may."""
    try:
        _require_active_member(territory, author)
        _parties(territory, author, with_user, with_organisation, as_organisation)
    except MessagingError as error:
        return str(error)
    return None


def start_conversation(
    territory,
    author,
    subject_obj=None,
    with_user=None,
    with_organisation=None,
    *,
    title: str = "",
    url: str | None = None,
    first_message: str,
    as_organisation=None,
) -> Conversation:
    """Write ``first_message`` to a user or an organisation, about ``subject_obj`` (any module object) or nothing.

    The conversation already open for the same object and participants is reused; otherwise a new one keeps
    ``title`` and ``url`` (the object's page) as they are now. ``as_organisation`` lets staff write on behalf of
    their organisation (a workshop contacting a resident). Raises :class:`MessagingError` (shown to the user) when
    the rules forbid it. The caller commits.
    """
    _require_active_member(territory, author)
    body = clean_body(first_message)
    parties = _parties(territory, author, with_user, with_organisation, as_organisation)
    subject_type, subject_id = _subject_reference(territory, subject_obj)
    key = thread_key(subject_type, subject_id, parties)
    conversation = _get_or_create(territory, author, key, parties, subject_type, subject_id, title, url)
    post_message(conversation, author, body)
    return conversation


def _object_url(url: str | None) -> str | None:
    """A link to the object: a local path or a web address, nothing a browser would run."""
    if not url:
        return None
    if not (url.startswith("/") and not url.startswith("//")) and not url.startswith(("https://", "http://")):
        raise ValueError("the conversation's url must be a local path or an http(s) address")
    return url[:500]


def _get_or_create(territory, author, key, parties, subject_type, subject_id, title, url) -> Conversation:
    """Two people starting the same conversation at once get one: the unique thread key decides."""
    inserted = _insert_ignoring_duplicates(
        Conversation,
        [
            {
                "territory_id": territory.id,
                "thread_key": key,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "title": (title or "")[:200],
                "url": _object_url(url),
                "created_by_id": author.id,
                "created_at": now(),
                "last_message_at": now(),
            }
        ],
        ["territory_id", "thread_key"],
    )
    conversation = db.session.scalar(
        select(Conversation).where(Conversation.territory_id == territory.id, Conversation.thread_key == key)
    )
    if inserted:
        for kind, ident in parties:
            conversation.participants.append(
                ConversationParticipant(
                    territory_id=territory.id,
                    user_id=ident if kind == "u" else None,
                    organisation_id=ident if kind == "o" else None,
                )
            )
        db.session.flush()
    return conversation


def post_message(conversation: Conversation, author, body: str) -> Message:
    """Add a message by ``author`` (a participant, or staff of one), mark it read for them, tell the others."""
    territory = conversation.territory
    side = side_of(conversation, author)
    if side is None:
        raise MessagingError(_("Vous ne participez pas à cette conversation."))
    _require_active_member(territory, author)
    message = Message(
        territory_id=territory.id,
        conversation=conversation,
        author_id=author.id,
        organisation_id=side.organisation_id,
        body=clean_body(body),
        created_at=now(),
    )
    db.session.add(message)
    conversation.last_message_at = message.created_at
    db.session.flush()
    mark_read(conversation, author)
    _notify_recipients(conversation, message, author, side)
    return message


# -- telling the others -----------------------------------------------------------------------------------------------


def recipients(conversation: Conversation, author, side: Side) -> list[User]:
    """Everyone on the other sides who can read it now: users in person, and the staff of organisations."""
    user_ids = {p.user_id for p in conversation.participants if p.user_id and p.user_id != side.user_id}
    organisation_ids = {
        p.organisation_id
        for p in conversation.participants
        if p.organisation_id and p.organisation_id != side.organisation_id
    }
    if organisation_ids:
        user_ids |= set(
            db.session.scalars(
                select(OrganisationStaff.user_id).where(OrganisationStaff.organisation_id.in_(organisation_ids))
            )
        )
    user_ids.discard(author.id)
    if not user_ids:
        return []
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                User.id.in_(user_ids),
                User.disabled.is_(False),
                Membership.territory_id == conversation.territory_id,
                Membership.status == MEMBERSHIP_ACTIVE,
            )
            .order_by(User.id)
        )
    )


def _claim_notification_slot(conversation: Conversation, user_id: int) -> bool:
    """True when ``user_id`` may be notified about this conversation now; records it in the same statement."""
    at = now()
    interval = timedelta(minutes=current_app.config["MESSAGE_NOTIFY_INTERVAL_MINUTES"])
    result = db.session.execute(
        update(ConversationReadState)
        .where(
            ConversationReadState.conversation_id == conversation.id,
            ConversationReadState.user_id == user_id,
            or_(
                ConversationReadState.last_notified_at.is_(None),
                ConversationReadState.last_notified_at <= at - interval,
            ),
        )
        .values(last_notified_at=at)
    )
    return result.rowcount == 1


def conversation_url(conversation: Conversation) -> str:
    """The conversation's full address (for e-mails and the inbox), inside a request or not."""
    from platformcoop.notifications.mail import absolute_url

    return absolute_url("messaging.thread", territory=conversation.territory.slug, conversation_id=conversation.id)


def _notify_recipients(conversation: Conversation, message: Message, author, side: Side) -> None:
    from platformcoop.notifications import notify

    people = recipients(conversation, author, side)
    _ensure_read_states(conversation, [person.id for person in people])
    if side.organisation_id:
        sender = f"{author_label(author)} ({organisation_names([side.organisation_id]).get(side.organisation_id, '')})"
    else:
        sender = author_label(author)
    url = conversation_url(conversation)
    for person in people:
        if not _claim_notification_slot(conversation, person.id):
            continue
        notify(
            person,
            NOTIFICATION_KIND,
            conversation.territory,
            conversation,
            title=_l("Nouveau message de %(name)s", name=sender),
            url=url,
            email_template="message_received",
            sender=sender,
            conversation_title=conversation.title,
            interval=current_app.config["MESSAGE_NOTIFY_INTERVAL_MINUTES"],
            excerpt=_excerpt(message.body),
        )


def _excerpt(body: str, limit: int = 600) -> str:
    return body if len(body) <= limit else body[:limit].rstrip() + "…"


# -- display --------------------------------------------------------------------------------------------------------


def author_label(user) -> str:
    """The name shown for a person: "Ancien membre" once the account is erased or blocked."""
    if user is None or user.disabled:
        return str(FORMER_MEMBER)
    return user.display_name


def _speaks_for(participant: ConversationParticipant, side: Side | None) -> bool:
    if side is None:
        return False
    if side.user_id is not None:
        return participant.user_id == side.user_id
    return participant.organisation_id == side.organisation_id


def participant_labels(conversations, viewer) -> dict[int, list[str]]:
    """For each conversation id, the names of the other participants as ``viewer`` sees them."""
    names = organisation_names(p.organisation_id for c in conversations for p in c.participants)
    labels: dict[int, list[str]] = {}
    for conversation in conversations:
        side = side_of(conversation, viewer)
        labels[conversation.id] = [
            names.get(p.organisation_id, "") if p.organisation_id else author_label(p.user)
            for p in conversation.participants
            if not _speaks_for(p, side) and p.user_id != viewer.id
        ]
    return labels


# -- personal data (GDPR) -------------------------------------------------------------------------------------------


def export_user_messages(territory, user) -> dict:
    """The user's messaging data in ``territory``, JSON-serialisable.

    Their own conversations in full (what they wrote and what was written to them), and, for conversations they
    answered on behalf of an organisation, only the messages they wrote.
    """
    own_ids = select(ConversationParticipant.conversation_id).where(ConversationParticipant.user_id == user.id)
    conversations = db.session.scalars(
        select(Conversation)
        .where(
            Conversation.territory_id == territory.id,
            or_(
                Conversation.id.in_(own_ids),
                Conversation.id.in_(select(Message.conversation_id).where(Message.author_id == user.id)),
            ),
        )
        .order_by(Conversation.id)
    ).all()
    mine = set(db.session.scalars(own_ids))
    labels = participant_labels(conversations, user)
    return {
        "conversations": [
            {
                "title": conversation.title,
                "url": conversation.url,
                "subject": {"type": conversation.subject_type, "id": conversation.subject_id}
                if conversation.subject_type
                else None,
                "started_at": conversation.created_at.isoformat(),
                "with": labels[conversation.id],
                "messages": [
                    {
                        "author": author_label(message.author),
                        "mine": message.author_id == user.id,
                        "body": message.body,
                        "sent_at": message.created_at.isoformat(),
                    }
                    for message in conversation.messages
                    if conversation.id in mine or message.author_id == user.id
                ],
            }
            for conversation in conversations
        ]
    }


def erase_user_messages(territory, user) -> None:
    """Forget the person, keep the conversations readable for the others.

    Their messages stay (the other side's correspondence and agreements keep their meaning) but are no longer tied
    to them: signed "Ancien membre". Their participation and read states go; a conversation nobody can read any
    more is deleted. The caller commits.
    """
    db.session.execute(
        update(Message).where(Message.territory_id == territory.id, Message.author_id == user.id).values(author_id=None)
    )
    for model in (ConversationParticipant, ConversationReadState):
        db.session.execute(delete(model).where(model.territory_id == territory.id, model.user_id == user.id))
    orphans = select(Conversation.id).where(
        Conversation.territory_id == territory.id,
        ~exists(select(ConversationParticipant.id).where(ConversationParticipant.conversation_id == Conversation.id)),
    )
    orphan_ids = list(db.session.scalars(orphans))
    if orphan_ids:
        for model in (Message, ConversationReadState):
            db.session.execute(delete(model).where(model.conversation_id.in_(orphan_ids)))
        db.session.execute(delete(Conversation).where(Conversation.id.in_(orphan_ids)))
