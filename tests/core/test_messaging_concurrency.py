"""Messaging under concurrency: real threads, each with its own session, on SQLite and on PostgreSQL.

The database settles the races: a unique thread key (one conversation per object and participants) and a
conditional UPDATE (one new-message notification per conversation and recipient per interval).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, select

from platformcoop.extensions import db
from platformcoop.messaging import services as messaging
from platformcoop.messaging.models import Conversation, ConversationParticipant, ConversationReadState, Message
from platformcoop.notifications.models import Notification
from tests.conftest import create_user
from tests.core.test_messaging import ALICE, BOB, start, territory, user
from tests.sample_plugin import SampleItem


def run_together(app, *actions: Callable[[], None]) -> list[BaseException]:
    """Run each action in its own thread and app context (its own session), released at the same instant."""
    barrier = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def worker(action):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                action()
                db.session.commit()
            except BaseException as error:  # reported to the test, not lost in the thread
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_two_residents_starting_the_same_conversation_at_once_get_one(app, libercourt):
    create_user(app, ALICE, "Alice", libercourt=("resident",))
    create_user(app, BOB, "Bob", libercourt=("resident",))
    with app.app_context():
        item = SampleItem(territory_id=territory("libercourt").id, owner_id=user(BOB).id, title="Poussette")
        db.session.add(item)
        db.session.commit()
        item_id = item.id

    def write(author: str, to: str, body: str) -> Callable[[], None]:
        def action():
            messaging.start_conversation(
                territory("libercourt"),
                user(author),
                subject_obj=db.session.get(SampleItem, item_id),
                with_user=user(to),
                title="Poussette",
                first_message=body,
            )

        return action

    errors = run_together(app, write(ALICE, BOB, "Elle est libre ?"), write(BOB, ALICE, "Je vous l'ai réservée"))

    assert errors == []
    assert count(app, Conversation) == 1
    assert count(app, ConversationParticipant) == 2
    assert count(app, Message) == 2


def test_two_messages_posted_at_once_notify_the_recipient_once(app, libercourt):
    create_user(app, ALICE, "Alice", libercourt=("resident",))
    create_user(app, BOB, "Bob", libercourt=("resident",))
    create_user(app, "carol@example.org", "Carol", libercourt=("resident",))
    conversation_id = start(app, ALICE, to=BOB, body="Bonjour")
    with app.app_context():
        # Carol joins the conversation, so that two people can write to Bob at the same instant.
        db.session.add(
            ConversationParticipant(
                territory_id=territory("libercourt").id,
                conversation_id=conversation_id,
                user_id=user("carol@example.org").id,
            )
        )
        # Bob was notified long ago: the next message may notify him again, but only one of the two.
        db.session.execute(
            ConversationReadState.__table__.update()
            .where(ConversationReadState.user_id == user(BOB).id)
            .values(last_notified_at=None)
        )
        db.session.commit()
        bob_id = user(BOB).id

    def write(author: str, body: str) -> Callable[[], None]:
        return lambda: messaging.post_message(db.session.get(Conversation, conversation_id), user(author), body)

    errors = run_together(app, write(ALICE, "Premier"), write("carol@example.org", "Second"))

    assert errors == []
    assert count(app, Message, Message.conversation_id == conversation_id) == 3
    assert count(app, Notification, Notification.user_id == bob_id) == 2  # the first message's, and one of these
