"""Messaging: residents and organisations talk about a module object; unread counts; throttled e-mails; privacy."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from platformcoop import clock
from platformcoop.accounts.models import User
from platformcoop.extensions import db
from platformcoop.messaging import services as messaging
from platformcoop.messaging.models import Conversation, ConversationParticipant, Message
from platformcoop.notifications.models import Notification
from platformcoop.notifications.outbox import deliver_due
from platformcoop.organisations.models import Organisation, OrganisationStaff
from platformcoop.tenancy.models import Membership, Territory
from tests.conftest import create_user, login
from tests.sample_plugin import SampleItem

ALICE = "alice@example.org"
BOB = "bob@example.org"
CAROL = "carol@example.org"
OWNER = "olivier@atelier.example.org"
STAFF = "sophie@atelier.example.org"


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def territory(slug: str) -> Territory:
    return db.session.scalars(select(Territory).filter_by(slug=slug)).one()


def user(email: str) -> User:
    return db.session.scalars(select(User).filter_by(email=email)).one()


def start(
    app,
    author: str,
    *,
    to: str | None = None,
    organisation: int | None = None,
    item: int | None = None,
    body: str = "Bonjour, est-ce toujours disponible ?",
    slug: str = "libercourt",
) -> int:
    """``author`` writes to a member or an organisation (about a sample item), as a module's "Contacter" would."""
    with app.app_context():
        subject = db.session.get(SampleItem, item) if item else None
        conversation = messaging.start_conversation(
            territory(slug),
            user(author),
            subject_obj=subject,
            with_user=user(to) if to else None,
            with_organisation=db.session.get(Organisation, organisation) if organisation else None,
            title=subject.title if subject else "",
            url=f"/{slug}/exemple/objets/{subject.id}" if subject else None,
            first_message=body,
        )
        db.session.commit()
        return conversation.id


def post(app, author: str, conversation_id: int, body: str) -> None:
    with app.app_context():
        messaging.post_message(db.session.get(Conversation, conversation_id), user(author), body)
        db.session.commit()


def emails_to(app, outbox, address: str) -> list:
    """Deliver everything queued so far (as the scheduler would), then read the e-mails ``address`` received."""
    with app.app_context():
        deliver_due(clock.now() + timedelta(days=1))
    return outbox.to(address)


def unread(app, email: str, slug: str = "libercourt") -> int:
    with app.app_context():
        return messaging.unread_count(territory(slug), user(email))


def messages_in(app, conversation_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Message.body).where(Message.conversation_id == conversation_id).order_by(Message.id)
            )
        )


def logged_in(app, email: str):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


@pytest.fixture
def people(app, libercourt, lomme) -> None:
    create_user(app, ALICE, "Alice", libercourt=("resident",))
    create_user(app, BOB, "Bob", libercourt=("resident",))
    create_user(app, CAROL, "Carol", libercourt=("resident",))
    create_user(app, "lea@lomme.example.org", "Léa", lomme=("resident",))


@pytest.fixture
def bike(app, people) -> int:
    """Bob's sample item: the object conversations are about."""
    with app.app_context():
        item = SampleItem(territory_id=territory("libercourt").id, owner_id=user(BOB).id, title="Vélo enfant 16 pouces")
        db.session.add(item)
        db.session.commit()
        return item.id


@pytest.fixture
def workshop(app, people) -> int:
    """An active repair workshop of Libercourt, run by Olivier (owner) with Sophie (staff)."""
    create_user(app, OWNER, "Olivier", libercourt=("resident",))
    create_user(app, STAFF, "Sophie", libercourt=("resident",))
    with app.app_context():
        libercourt = territory("libercourt")
        organisation = Organisation(
            territory_id=libercourt.id, kind="repairer", name="Atelier du Vélo", status="active"
        )
        db.session.add(organisation)
        db.session.flush()
        for email, role in ((OWNER, "owner"), (STAFF, "staff")):
            db.session.add(
                OrganisationStaff(
                    territory_id=libercourt.id, organisation_id=organisation.id, user_id=user(email).id, role=role
                )
            )
        db.session.commit()
        return organisation.id


# -- starting a conversation about an object -----------------------------------------------------------------------


def test_a_resident_contacts_the_owner_of_an_object(app, bike, outbox):
    conversation_id = start(app, ALICE, to=BOB, item=bike)

    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        assert (conversation.subject_type, conversation.subject_id) == ("sample_item", bike)
        assert conversation.title == "Vélo enfant 16 pouces"
        assert conversation.url == f"/libercourt/exemple/objets/{bike}"
        assert {p.user_id for p in conversation.participants} == {user(ALICE).id, user(BOB).id}
        notification = db.session.scalars(select(Notification).filter_by(user_id=user(BOB).id)).one()
        assert notification.kind == messaging.NOTIFICATION_KIND
        assert notification.title == "Nouveau message de Alice"
    assert messages_in(app, conversation_id) == ["Bonjour, est-ce toujours disponible ?"]
    (mail,) = emails_to(app, outbox, BOB)
    assert mail["Subject"] == "Nouveau message de Alice"
    body = outbox.body(mail)
    assert "Alice vous a écrit au sujet de « Vélo enfant 16 pouces »" in body
    assert "Bonjour, est-ce toujours disponible ?" in body
    assert f"http://localhost/libercourt/messages/{conversation_id}" in body
    assert emails_to(app, outbox, ALICE) == []


def test_contacting_again_about_the_same_object_reuses_the_conversation(app, bike):
    first = start(app, ALICE, to=BOB, item=bike, body="Bonjour")
    again = start(app, ALICE, to=BOB, item=bike, body="Vous êtes là ?")
    from_the_other_side = start(app, BOB, to=ALICE, item=bike, body="Oui, il est disponible.")

    assert first == again == from_the_other_side
    assert messages_in(app, first) == ["Bonjour", "Vous êtes là ?", "Oui, il est disponible."]


def test_another_object_or_another_person_opens_another_conversation(app, bike):
    about_the_bike = start(app, ALICE, to=BOB, item=bike)
    without_object = start(app, ALICE, to=BOB)
    with_someone_else = start(app, CAROL, to=BOB, item=bike)

    assert len({about_the_bike, without_object, with_someone_else}) == 3


def test_the_rules_of_starting_a_conversation(app, bike):
    with app.app_context():
        libercourt, alice = territory("libercourt"), user(ALICE)
        with pytest.raises(messaging.MessagingError, match="vous écrire à vous-même"):
            messaging.start_conversation(libercourt, alice, with_user=alice, first_message="Coucou")
        with pytest.raises(messaging.MessagingError, match="ne peut pas recevoir de messages sur ce territoire"):
            messaging.start_conversation(
                libercourt, alice, with_user=user("lea@lomme.example.org"), first_message="Coucou"
            )
        with pytest.raises(messaging.MessagingError, match="membre actif"):
            messaging.start_conversation(territory("lomme"), alice, with_user=user(BOB), first_message="Coucou")
        with pytest.raises(messaging.MessagingError, match="Écrivez votre message"):
            messaging.start_conversation(libercourt, alice, with_user=user(BOB), first_message="  \n ")
        with pytest.raises(ValueError, match="url"):
            messaging.start_conversation(
                libercourt, alice, with_user=user(BOB), url="javascript:alert(1)", first_message="Coucou"
            )
        lomme_item = SampleItem(territory_id=territory("lomme").id, title="Objet de Lomme")
        db.session.add(lomme_item)
        db.session.flush()
        with pytest.raises(ValueError, match="another territory"):
            messaging.start_conversation(
                libercourt, alice, subject_obj=lomme_item, with_user=user(BOB), first_message="Coucou"
            )
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Conversation)) == 0


# -- reading and answering -----------------------------------------------------------------------------------------


def test_the_messages_page_lists_conversations_newest_activity_first_with_unread_ones_marked(app, bike, frozen_clock):
    older = start(app, ALICE, to=BOB, item=bike, body="À propos du vélo")
    with clock.travel(timedelta(minutes=5)):
        newer = start(app, CAROL, to=BOB, body="Bonjour voisin")
    bob = logged_in(app, BOB)

    page = page_text(bob.get("/libercourt/messages/"))

    assert page.index(f"/libercourt/messages/{newer}") < page.index(f"/libercourt/messages/{older}")
    assert "Conversation avec Carol" in page
    assert "Avec Alice" in page
    assert page.count("Non lu") == 2
    assert "2 conversations non lues" in page  # the header counter, for screen readers
    assert 'Messages <span class="count-badge" aria-hidden="true">2</span>' in page


def test_opening_a_conversation_shows_it_and_marks_it_read(app, bike):
    conversation_id = start(app, ALICE, to=BOB, item=bike)
    bob = logged_in(app, BOB)
    assert unread(app, BOB) == 1

    page = page_text(bob.get(f"/libercourt/messages/{conversation_id}"))

    assert "Bonjour, est-ce toujours disponible ?" in page
    assert "Alice" in page
    assert f'href="/libercourt/exemple/objets/{bike}"' in page
    assert unread(app, BOB) == 0
    assert "conversation non lue" not in page_text(bob.get("/libercourt/messages/"))


def test_answering_from_the_conversation_page(app, bike, outbox):
    conversation_id = start(app, ALICE, to=BOB, item=bike)
    bob = logged_in(app, BOB)

    response = bob.post(f"/libercourt/messages/{conversation_id}", data={"body": "  Oui, passez samedi.\r\n"})

    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/libercourt/messages/{conversation_id}#message-")
    assert messages_in(app, conversation_id)[-1] == "Oui, passez samedi."
    assert unread(app, ALICE) == 1
    assert unread(app, BOB) == 0  # one's own message is never unread
    assert len(emails_to(app, outbox, ALICE)) == 1


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "Écrivez votre message."),
        ("   \r\n  ", "Écrivez votre message."),
        ("x" * 5001, "Votre message est trop long (5 000 caractères au plus)."),
    ],
)
def test_an_empty_or_too_long_answer_is_refused_in_french_and_changes_nothing(app, bike, body, error):
    conversation_id = start(app, ALICE, to=BOB, item=bike)
    bob = logged_in(app, BOB)

    response = bob.post(f"/libercourt/messages/{conversation_id}", data={"body": body})

    assert response.status_code == 200
    page = page_text(response)
    assert f'<p class="field__error" id="body-erreur"><span>{error}</span>' in page
    assert "Le formulaire contient des erreurs" in page
    assert messages_in(app, conversation_id) == ["Bonjour, est-ce toujours disponible ?"]


def test_an_answer_of_exactly_5000_characters_is_accepted(app, bike):
    conversation_id = start(app, ALICE, to=BOB, item=bike)

    response = logged_in(app, BOB).post(f"/libercourt/messages/{conversation_id}", data={"body": "é" * 5000})

    assert response.status_code == 302
    assert messages_in(app, conversation_id)[-1] == "é" * 5000


# -- who may read --------------------------------------------------------------------------------------------------


def test_someone_outside_the_conversation_gets_404_and_cannot_write(app, bike):
    conversation_id = start(app, ALICE, to=BOB, item=bike)
    carol = logged_in(app, CAROL)
    lea = logged_in(app, "lea@lomme.example.org")

    assert carol.get(f"/libercourt/messages/{conversation_id}").status_code == 404
    assert carol.post(f"/libercourt/messages/{conversation_id}", data={"body": "Je m'incruste"}).status_code == 404
    assert lea.get(f"/libercourt/messages/{conversation_id}").status_code == 404
    assert lea.get(f"/lomme/messages/{conversation_id}").status_code == 404
    assert "Vélo enfant" not in page_text(carol.get("/libercourt/messages/"))
    assert messages_in(app, conversation_id) == ["Bonjour, est-ce toujours disponible ?"]


def test_a_participant_opening_the_conversation_under_another_territory_gets_404(app, bike):
    conversation_id = start(app, ALICE, to=BOB, item=bike)
    create_user(app, "dan@example.org", "Dan", libercourt=("resident",), lomme=("resident",))
    with app.app_context():
        db.session.add(
            ConversationParticipant(
                territory_id=territory("libercourt").id,
                conversation_id=conversation_id,
                user_id=user("dan@example.org").id,
            )
        )
        db.session.commit()
    dan = logged_in(app, "dan@example.org")

    assert dan.get(f"/libercourt/messages/{conversation_id}").status_code == 200
    assert dan.get(f"/lomme/messages/{conversation_id}").status_code == 404


def test_an_anonymous_visitor_is_asked_to_log_in(app, bike):
    conversation_id = start(app, ALICE, to=BOB, item=bike)
    client = app.test_client()

    for path in ("/libercourt/messages/", f"/libercourt/messages/{conversation_id}"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/compte/connexion" in response.headers["Location"]


def test_a_member_of_another_territory_cannot_open_the_messages_page(app, people):
    assert logged_in(app, "lea@lomme.example.org").get("/libercourt/messages/").status_code == 403


def test_the_unread_count_of_the_header_is_one_query(app, bike):
    start(app, ALICE, to=BOB, item=bike)
    with app.app_context():
        libercourt, bob = territory("libercourt"), user(BOB)
        bob.memberships  # noqa: B018  (loaded, as it is for the permission check of every page)
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            count = messaging.unread_count(libercourt, bob)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)

    assert count == 1
    assert len(statements) == 1


# -- organisations -------------------------------------------------------------------------------------------------


def test_the_staff_of_an_organisation_read_and_answer_for_it(app, workshop, outbox):
    conversation_id = start(app, ALICE, organisation=workshop, body="Pouvez-vous régler mes freins ?")
    assert len(emails_to(app, outbox, OWNER)) == 1
    assert len(emails_to(app, outbox, STAFF)) == 1
    sophie = logged_in(app, STAFF)

    assert "Pouvez-vous régler mes freins ?" in page_text(sophie.get(f"/libercourt/messages/{conversation_id}"))
    assert (
        sophie.post(f"/libercourt/messages/{conversation_id}", data={"body": "Oui, jeudi à 14 h."}).status_code == 302
    )

    with app.app_context():
        answer = db.session.scalars(select(Message).where(Message.body == "Oui, jeudi à 14 h.")).one()
        assert answer.organisation_id == workshop
    (to_alice,) = emails_to(app, outbox, ALICE)
    assert to_alice["Subject"] == "Nouveau message de Sophie (Atelier du Vélo)"
    assert len(emails_to(app, outbox, OWNER)) == 1  # a colleague's answer sends Olivier no e-mail…
    assert unread(app, OWNER) == 1  # …but he has not read it yet
    page = page_text(logged_in(app, ALICE).get(f"/libercourt/messages/{conversation_id}"))
    assert "Sophie (Atelier du Vélo)" in page
    assert "Conversation avec Atelier du Vélo" in page
    assert logged_in(app, CAROL).get(f"/libercourt/messages/{conversation_id}").status_code == 404


def test_a_resident_writes_to_an_organisation_from_the_new_message_page(app, workshop):
    alice = logged_in(app, ALICE)

    assert "Écrire à Atelier du Vélo" in page_text(alice.get(f"/libercourt/messages/nouveau?organisation={workshop}"))
    response = alice.post(f"/libercourt/messages/nouveau?organisation={workshop}", data={"body": "Bonjour l'atelier"})

    assert response.status_code == 302
    with app.app_context():
        conversation = db.session.scalars(select(Conversation)).one()
        assert {p.organisation_id for p in conversation.participants} == {workshop, None}
    assert response.headers["Location"] == f"/libercourt/messages/{conversation.id}"


def test_a_suspended_organisation_cannot_be_contacted(app, workshop):
    with app.app_context():
        db.session.get(Organisation, workshop).status = "suspended"
        db.session.commit()
    alice = logged_in(app, ALICE)

    page = page_text(alice.get(f"/libercourt/messages/nouveau?organisation={workshop}"))
    alice.post(f"/libercourt/messages/nouveau?organisation={workshop}", data={"body": "Bonjour"})

    assert "Cette organisation ne peut pas recevoir de messages pour le moment." in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_staff_cannot_open_a_conversation_with_their_own_organisation(app, workshop):
    with app.app_context(), pytest.raises(messaging.MessagingError, match="faites partie de cette organisation"):
        messaging.start_conversation(
            territory("libercourt"),
            user(STAFF),
            with_organisation=db.session.get(Organisation, workshop),
            first_message="Coucou",
        )


def test_staff_write_to_a_resident_on_behalf_of_their_organisation(app, workshop, outbox):
    with app.app_context():
        conversation = messaging.start_conversation(
            territory("libercourt"),
            user(OWNER),
            with_user=user(ALICE),
            as_organisation=db.session.get(Organisation, workshop),
            first_message="Votre vélo est prêt.",
        )
        db.session.commit()
        conversation_id = conversation.id

    assert emails_to(app, outbox, ALICE)[0]["Subject"] == "Nouveau message de Olivier (Atelier du Vélo)"
    assert logged_in(app, STAFF).get(f"/libercourt/messages/{conversation_id}").status_code == 200


# -- writing to a member without an object ------------------------------------------------------------------------


def test_a_resident_writes_to_another_member_from_the_new_message_page(app, people):
    with app.app_context():
        bob_id, lea_id, alice_id = user(BOB).id, user("lea@lomme.example.org").id, user(ALICE).id
    alice = logged_in(app, ALICE)

    assert "Écrire à Bob" in page_text(alice.get(f"/libercourt/messages/nouveau?membre={bob_id}"))
    response = alice.post(f"/libercourt/messages/nouveau?membre={bob_id}", data={"body": "Bonjour Bob"})
    assert response.status_code == 302
    assert alice.get(f"/libercourt/messages/nouveau?membre={lea_id}").status_code == 404  # not a member here
    assert alice.get("/libercourt/messages/nouveau?membre=abc").status_code == 404
    assert alice.get("/libercourt/messages/nouveau").status_code == 404
    to_herself = page_text(alice.post(f"/libercourt/messages/nouveau?membre={alice_id}", data={"body": "Moi"}))
    assert "Vous ne pouvez pas vous écrire à vous-même." in to_herself
    with app.app_context():
        assert db.session.scalars(select(Message.body)).all() == ["Bonjour Bob"]


# -- throttled notifications -----------------------------------------------------------------------------------------


def test_new_message_emails_are_throttled_to_one_per_conversation_and_recipient_per_15_minutes(
    app, bike, outbox, frozen_clock
):
    conversation_id = start(app, ALICE, to=BOB, item=bike, body="Premier message")
    with clock.travel(timedelta(minutes=5)):
        post(app, ALICE, conversation_id, "Deuxième message")
    with clock.travel(timedelta(minutes=14, seconds=59)):
        post(app, ALICE, conversation_id, "Troisième message")
        other_conversation = start(app, ALICE, to=BOB, body="Une autre question")
    assert len(emails_to(app, outbox, BOB)) == 2  # the first message, and the other conversation's

    with clock.travel(timedelta(minutes=15)):
        post(app, ALICE, conversation_id, "Quatrième message")
        mails = emails_to(app, outbox, BOB)

    assert len(mails) == 3
    assert "Quatrième message" in outbox.body(mails[-1])
    with app.app_context():
        notified = db.session.scalars(select(Notification.object_id).where(Notification.user_id == user(BOB).id))
        assert sorted(notified) == sorted([conversation_id, other_conversation, conversation_id])
    assert unread(app, BOB) == 2


def test_bob_answering_does_not_use_up_alices_allowance(app, bike, outbox, frozen_clock):
    conversation_id = start(app, ALICE, to=BOB, item=bike)
    with clock.travel(timedelta(minutes=1)):
        post(app, BOB, conversation_id, "Oui")

    assert len(emails_to(app, outbox, BOB)) == 1
    assert len(emails_to(app, outbox, ALICE)) == 1


# -- suspended, blocked and erased members ---------------------------------------------------------------------------


def test_a_suspended_members_messages_stay_readable(app, bike, outbox):
    conversation_id = start(app, ALICE, to=BOB, item=bike, body="Message d'Alice")
    alice = logged_in(app, ALICE)
    with app.app_context():
        db.session.scalars(select(Membership).filter_by(user_id=user(ALICE).id)).one().status = "suspended"
        db.session.commit()

    page = page_text(logged_in(app, BOB).get(f"/libercourt/messages/{conversation_id}"))
    post(app, BOB, conversation_id, "Réponse de Bob")

    assert "Message d'Alice" in page
    assert "Alice" in page
    assert emails_to(app, outbox, ALICE) == []  # she cannot read it now: no e-mail
    assert alice.get(f"/libercourt/messages/{conversation_id}").status_code == 403
    with app.app_context(), pytest.raises(messaging.MessagingError):
        messaging.post_message(db.session.get(Conversation, conversation_id), user(ALICE), "Encore moi")


def test_a_blocked_member_shows_as_former_member(app, bike):
    conversation_id = start(app, ALICE, to=BOB, item=bike, body="Message d'Alice")
    with app.app_context():
        user(ALICE).disabled = True
        db.session.commit()

    page = page_text(logged_in(app, BOB).get(f"/libercourt/messages/{conversation_id}"))

    assert "Message d'Alice" in page
    assert "Ancien membre" in page
    assert "Alice" not in page.replace("Message d'Alice", "")


def test_the_export_holds_the_members_conversations(app, bike, workshop):
    about_the_bike = start(app, ALICE, to=BOB, item=bike, body="Bonjour Bob")
    post(app, BOB, about_the_bike, "Bonjour Alice")
    start(app, CAROL, organisation=workshop, body="Question de Carol")
    with app.app_context():
        conversation = db.session.scalars(select(Conversation).where(Conversation.id != about_the_bike)).one()
        messaging.post_message(conversation, user(STAFF), "Réponse de Sophie")
        db.session.commit()

        alice_data = messaging.export_user_messages(territory("libercourt"), user(ALICE))
        sophie_data = messaging.export_user_messages(territory("libercourt"), user(STAFF))
        lomme_data = messaging.export_user_messages(territory("lomme"), user(ALICE))

    (bike_thread,) = alice_data["conversations"]
    assert bike_thread["title"] == "Vélo enfant 16 pouces"
    assert bike_thread["subject"] == {"type": "sample_item", "id": bike}
    assert bike_thread["with"] == ["Bob"]
    assert [(m["author"], m["mine"], m["body"]) for m in bike_thread["messages"]] == [
        ("Alice", True, "Bonjour Bob"),
        ("Bob", False, "Bonjour Alice"),
    ]
    assert bike_thread["messages"][0]["sent_at"].endswith("+00:00")
    # Sophie answered for the workshop: only what she wrote is hers.
    assert [m["body"] for c in sophie_data["conversations"] for m in c["messages"]] == ["Réponse de Sophie"]
    assert lomme_data == {"conversations": []}


def test_erasing_a_member_keeps_the_conversation_readable_for_the_other(app, bike):
    conversation_id = start(app, ALICE, to=BOB, item=bike, body="Message d'Alice")
    post(app, BOB, conversation_id, "Réponse de Bob")
    only_alice = start(app, ALICE, to=CAROL, body="Pour Carol")
    with app.app_context():
        db.session.execute(
            ConversationParticipant.__table__.delete().where(
                ConversationParticipant.conversation_id == only_alice,
                ConversationParticipant.user_id == user(CAROL).id,
            )
        )
        messaging.erase_user_messages(territory("libercourt"), user(ALICE))
        db.session.commit()
        assert db.session.get(Conversation, only_alice) is None  # nobody could read it any more
        assert db.session.scalars(select(Message.author_id).where(Message.body == "Message d'Alice")).one() is None

    page = page_text(logged_in(app, BOB).get(f"/libercourt/messages/{conversation_id}"))

    assert messages_in(app, conversation_id) == ["Message d'Alice", "Réponse de Bob"]
    assert "Message d'Alice" in page
    assert "Ancien membre" in page
    assert "Alice" not in page.replace("Message d'Alice", "")
