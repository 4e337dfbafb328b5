"""The inbox (/notifications/), the unread badge in the header, and the preferences section of the profile page."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from platformcoop import clock
from platformcoop.accounts.models import User
from platformcoop.extensions import db
from platformcoop.notifications import notify, preferences
from platformcoop.notifications.forms import field_name
from platformcoop.notifications.kinds import CORE_KINDS
from platformcoop.notifications.models import Notification, NotificationPreference
from platformcoop.tenancy import services as territories
from platformcoop.tenancy.models import Territory
from tests.conftest import create_user, login

CAMILLE = "camille@example.org"


def text_of(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def add_notifications(app, email_address: str, territory_id: int, count: int, *, start=None) -> list[int]:
    """``count`` notifications, one minute apart, titled "Nouvelle 1", "Nouvelle 2"…, linking to /<slug>/n/<n>."""
    start = start or clock.now()
    with app.app_context():
        person = db.session.scalars(select(User).filter_by(email=email_address)).one()
        territory = db.session.get(Territory, territory_id)
        notifications = []
        for n in range(1, count + 1):
            with clock.frozen(start + timedelta(minutes=n)):
                notifications.append(
                    notify(person, "sample.created", territory, title=f"Nouvelle {n}", url=f"/{territory.slug}/n/{n}")
                )
        db.session.commit()
        return [notification.id for notification in notifications]


@pytest.fixture
def camille(app, libercourt, lomme, client):
    create_user(app, CAMILLE, "Camille", libercourt=("resident",), lomme=("resident",))
    assert login(client, CAMILLE).status_code == 302
    return client


def unread(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Notification).where(Notification.read_at.is_(None))).all())


def test_the_inbox_lists_every_territorys_notifications_newest_first_with_links(app, camille, libercourt, lomme):
    add_notifications(app, CAMILLE, libercourt, 1)
    add_notifications(app, CAMILLE, lomme, 1, start=clock.now() + timedelta(hours=1))

    response = camille.get("/notifications/")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.index('href="/lomme/n/1"') < page.index('href="/libercourt/n/1"'), "newest first"
    assert "Lomme ·" in text_of(response) and "Libercourt ·" in text_of(response)


def test_the_inbox_is_paginated_twenty_at_a_time(app, camille, libercourt):
    add_notifications(app, CAMILLE, libercourt, 25)

    first = camille.get("/notifications/")
    second = camille.get("/notifications/?page=2")

    assert first.get_data(as_text=True).count('class="notification__title"') == 20
    assert "Nouvelle 25" in text_of(first) and "Nouvelle 6 " in text_of(first) and "Nouvelle 5 " not in text_of(first)
    assert 'href="/notifications/?page=2"' in first.get_data(as_text=True)
    assert second.get_data(as_text=True).count('class="notification__title"') == 5
    assert "Nouvelle 1 " in text_of(second)


def test_the_inbox_also_answers_inside_a_territory(app, camille, lomme):
    add_notifications(app, CAMILLE, lomme, 1)

    response = camille.get("/lomme/notifications/")

    assert response.status_code == 200
    assert "Nouvelle 1" in text_of(response)
    assert 'action="/lomme/notifications/' in response.get_data(as_text=True), "its buttons stay in the territory"


def test_a_visitor_is_sent_to_the_login_page(client):
    response = client.get("/notifications/")

    assert response.status_code == 302
    assert "/compte/connexion" in response.headers["Location"]


def test_marking_one_notification_read(app, camille, libercourt):
    first, second = add_notifications(app, CAMILLE, libercourt, 2)

    response = camille.post(f"/notifications/{first}/lue")

    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Notification, first).read_at is not None
        assert db.session.get(Notification, second).read_at is None


def test_marking_everything_read(app, camille, libercourt, lomme):
    add_notifications(app, CAMILLE, libercourt, 2)
    add_notifications(app, CAMILLE, lomme, 1)

    response = camille.post("/notifications/tout-lu", follow_redirects=True)

    assert unread(app) == 0
    assert "Toutes vos notifications sont marquées comme lues." in text_of(response)


def test_nobody_can_mark_another_persons_notification(app, camille, libercourt):
    create_user(app, "sacha@example.org", "Sacha", libercourt=("resident",))
    [theirs] = add_notifications(app, "sacha@example.org", libercourt, 1)

    response = camille.post(f"/notifications/{theirs}/lue")

    assert response.status_code == 404
    assert unread(app) == 1


def test_the_header_shows_the_unread_count_with_an_accessible_label(app, camille, libercourt):
    add_notifications(app, CAMILLE, libercourt, 3)

    page = camille.get("/libercourt/").get_data(as_text=True)

    # Inside a territory the inbox keeps the territory's layout (same list, every territory).
    link = re.search(r'<a class="header-link" href="/libercourt/notifications/"([^>]*)>(.*?)</a>', page, re.S)
    assert link.group(1) == ' aria-label="Notifications, 3 non lues"'
    assert link.group(2) == 'Notifications <span class="count-badge" aria-hidden="true">3</span>', "a visible badge"


def test_no_badge_once_everything_is_read(app, camille, libercourt):
    add_notifications(app, CAMILLE, libercourt, 1)
    camille.post("/notifications/tout-lu")

    page = camille.get("/compte/profil").get_data(as_text=True)

    assert '<a class="header-link" href="/notifications/">Notifications</a>' in page


def test_the_badge_costs_one_count_query_per_page(app, camille, libercourt):
    add_notifications(app, CAMILLE, libercourt, 3)
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        camille.get("/libercourt/")
    finally:
        event.remove(engine, "before_cursor_execute", remember)

    counts = [s for s in statements if "count(" in s.lower() and "FROM notification" in s]
    assert len(counts) == 1


# -- preferences on the profile page ---------------------------------------------------------------------------


def test_the_profile_offers_a_choice_per_kind_for_the_core_and_the_modules_in_use(app, camille):
    page = camille.get("/compte/profil")

    text = text_of(page)
    assert page.status_code == 200
    assert "Mes notifications" in text
    assert "Réponse à ma demande pour rejoindre un territoire" in text
    assert "Un objet d'exemple est créé" in text, "the sample module (on in Libercourt) declares this kind"
    assert '<legend id="notif-kind_sample_created">' in page.get_data(as_text=True)
    assert checked_choices(page) == dict.fromkeys(KIND_FIELDS, "immediate")


TIMEBANK_KINDS = ["timebank.exchange", "timebank.session", "timebank.reminder", "timebank.coordination"]
BIKEREPAIR_KINDS = ["bikerepair.appointment", "bikerepair.staff"]
KIND_FIELDS = [
    "notif-" + field_name(kind) for kind in [*CORE_KINDS, "sample.created", *TIMEBANK_KINDS, *BIKEREPAIR_KINDS]
]


def checked_choices(response) -> dict[str, str]:
    """What a browser would post: the checked radio button of each group."""
    inputs = re.findall(r"<input [^>]*>", response.get_data(as_text=True))
    return {
        re.search(r'name="([^"]+)"', tag).group(1): re.search(r'value="([^"]+)"', tag).group(1)
        for tag in inputs
        if 'type="radio"' in tag and " checked" in tag
    }


def test_saving_the_preferences(app, camille):
    choices = checked_choices(camille.get("/compte/profil"))
    choices |= {"notif-kind_core_membership_decision": "digest", "notif-kind_sample_created": "none"}

    response = camille.post("/compte/profil/notifications", data=choices)

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/compte/profil#notifications")
    with app.app_context():
        person = db.session.scalars(select(User).filter_by(email=CAMILLE)).one()
        assert preferences.email_choice(person, "core.membership_decision") == preferences.DIGEST
        assert preferences.email_choice(person, "sample.created") == preferences.NO_EMAIL
        assert preferences.email_choice(person, "core.new_message") == preferences.IMMEDIATE
    assert checked_choices(camille.get("/compte/profil"))["notif-kind_core_membership_decision"] == "digest"


def test_an_invalid_choice_is_refused_in_french_and_nothing_is_saved(app, camille):
    choices = checked_choices(camille.get("/compte/profil"))
    choices |= {"notif-kind_core_membership_decision": "pigeon", "notif-kind_sample_created": "none"}

    response = camille.post("/compte/profil/notifications", data=choices)

    assert response.status_code == 200
    assert "Choisissez une des options proposées." in text_of(response)
    assert "Le formulaire contient des erreurs" in text_of(response)
    with app.app_context():
        assert db.session.scalars(select(NotificationPreference)).all() == []


def test_the_admins_decision_on_a_join_request_reaches_the_inbox(app, client, lomme_admin, lomme, outbox):
    create_user(app, CAMILLE, "Camille")
    with app.app_context():
        person = db.session.scalars(select(User).filter_by(email=CAMILLE)).one()
        membership = territories.join_territory(db.session.get(Territory, lomme), person, "Bonjour")
        db.session.commit()
        membership_id = membership.id

    lomme_admin.post(f"/lomme/admin/membres/{membership_id}/accepter", data={})

    with app.app_context():
        [line] = db.session.scalars(
            select(Notification).join(User, Notification.user_id == User.id).where(User.email == CAMILLE)
        ).all()
        assert (line.kind, line.title, line.url) == (
            "core.membership_decision",
            "Votre demande pour rejoindre Lomme",
            "/lomme/",
        )
    [mail] = outbox.to(CAMILLE)
    assert "est acceptée" in outbox.body(mail)
