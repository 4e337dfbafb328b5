"""notify(): an inbox line always, an e-mail per the person's preference (at once, in the daily digest, or none)."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from platformcoop import clock
from platformcoop.accounts.models import User
from platformcoop.extensions import db
from platformcoop.notifications import notify, preferences
from platformcoop.notifications.digest import send_daily_digests
from platformcoop.notifications.models import Notification, OutboxMessage
from platformcoop.notifications.outbox import deliver_due
from platformcoop.tenancy.models import Territory
from tests.conftest import create_user

CAMILLE = "camille@example.org"


def user(email_address: str = CAMILLE) -> User:
    return db.session.scalars(select(User).filter_by(email=email_address)).one()


def tell(person: User, territory: Territory, title: str = "Votre demande pour rejoindre %(name)s", **kwargs):
    return notify(
        person,
        "core.membership_decision",
        territory,
        title=_l(title, name=territory.name),
        url=f"/{territory.slug}/",
        email_template="membership_decision",
        membership=type("Decision", (), {"is_active": True, "decision_message": ""})(),
        home_url=f"http://localhost/{territory.slug}/",
        **kwargs,
    )


def test_a_notification_lands_in_the_inbox_and_an_email_leaves_in_the_users_language(
    app, ctx, lomme, outbox, frozen_clock
):
    create_user(app, CAMILLE, "Camille", lomme=("resident",))
    camille = user()
    camille.locale = "en"
    lomme_territory = db.session.get(Territory, lomme)

    tell(camille, lomme_territory)
    db.session.commit()
    deliver_due(clock.now())

    [line] = db.session.scalars(select(Notification)).all()
    assert (line.title, line.url, line.territory_id, line.read_at) == (
        "Your request to join Lomme",
        "/lomme/",
        lomme,
        None,
    )
    assert line.email_status == "queued"
    [mail] = outbox.to(CAMILLE)
    assert mail["Subject"] == "Your request to join Lomme"
    text = outbox.body(mail)
    assert "Good news: your request to join Lomme has been accepted." in text
    assert "http://localhost/compte/profil#notifications" in text, "the e-mail says where to choose e-mails"


def test_a_rolled_back_action_leaves_neither_notification_nor_email(app, ctx, lomme, outbox):
    create_user(app, CAMILLE, "Camille", lomme=("resident",))
    tell(user(), db.session.get(Territory, lomme))
    db.session.rollback()

    assert deliver_due(clock.now()) == 0
    assert db.session.scalars(select(Notification)).all() == []
    assert outbox.messages() == []


def test_with_email_off_the_notification_stays_in_the_inbox_only(app, ctx, lomme, outbox):
    create_user(app, CAMILLE, "Camille", lomme=("resident",))
    preferences.set_email_choices(user(), {"core.membership_decision": preferences.NO_EMAIL})
    db.session.commit()

    tell(user(), db.session.get(Territory, lomme))
    db.session.commit()
    deliver_due(clock.now())

    assert [n.email_status for n in db.session.scalars(select(Notification))] == [None]
    assert db.session.scalars(select(OutboxMessage)).all() == []
    assert outbox.messages() == []


def test_the_choice_is_per_kind(app, ctx, lomme):
    create_user(app, CAMILLE, "Camille", lomme=("resident",))
    preferences.set_email_choices(user(), {"core.new_message": preferences.NO_EMAIL})
    db.session.commit()

    assert preferences.email_choice(user(), "core.new_message") == preferences.NO_EMAIL
    assert preferences.email_choice(user(), "core.membership_decision") == preferences.IMMEDIATE


def test_a_disabled_account_gets_no_email(app, ctx, lomme, outbox):
    create_user(app, CAMILLE, "Camille", lomme=("resident",))
    user().disabled = True
    tell(user(), db.session.get(Territory, lomme))
    db.session.commit()

    assert len(db.session.scalars(select(Notification)).all()) == 1
    assert db.session.scalars(select(OutboxMessage)).all() == []


# -- the daily digest --------------------------------------------------------------------------------------------


def choose_digest(email_address: str = CAMILLE) -> None:
    preferences.set_email_choices(user(email_address), {"core.membership_decision": preferences.DIGEST})
    db.session.commit()


def test_the_daily_digest_gathers_the_days_notifications_into_one_email(
    app, ctx, libercourt, lomme, outbox, frozen_clock
):
    create_user(app, CAMILLE, "Camille", libercourt=("resident",), lomme=("resident",))
    choose_digest()
    tell(user(), db.session.get(Territory, lomme))
    with clock.travel(timedelta(hours=3)):
        tell(user(), db.session.get(Territory, libercourt))
    db.session.commit()
    deliver_due(clock.now())
    assert outbox.messages() == [], "nothing is e-mailed at once"

    assert send_daily_digests(frozen_clock + timedelta(hours=9)) == 1
    deliver_due(frozen_clock + timedelta(hours=9))

    [digest] = outbox.to(CAMILLE)
    assert digest["Subject"] == "Votre résumé du jour : 2 notifications"
    text = outbox.body(digest)
    assert "Votre demande pour rejoindre Lomme" in text and "Votre demande pour rejoindre Libercourt" in text
    assert "http://localhost/lomme/" in text and "http://localhost/libercourt/" in text
    assert "10 mars, 10:00" in text, "times are shown in the territory's timezone (Paris, UTC+1 in March)"
    assert "http://localhost/notifications/" in text
    html = digest.get_body(("html",)).get_content()
    assert '<a href="http://localhost/lomme/">Votre demande pour rejoindre Lomme</a>' in html
    assert {n.email_status for n in db.session.scalars(select(Notification))} == {"digested"}


def test_running_the_digest_again_sends_nothing_twice_and_a_missed_day_is_caught_up(
    app, ctx, lomme, outbox, frozen_clock
):
    create_user(app, CAMILLE, "Camille", lomme=("resident",))
    choose_digest()
    tell(user(), db.session.get(Territory, lomme))
    db.session.commit()

    # The job did not run that evening; the next day's run catches up.
    with clock.travel(timedelta(days=1)):
        tell(user(), db.session.get(Territory, lomme), title="Votre adhésion à %(name)s est rétablie")
        db.session.commit()
        assert send_daily_digests(clock.now()) == 1
        assert send_daily_digests(clock.now()) == 0
        deliver_due(clock.now())

    [digest] = outbox.to(CAMILLE)
    assert digest["Subject"] == "Votre résumé du jour : 2 notifications"


def test_notifications_already_read_in_the_inbox_are_left_out_of_the_digest(app, ctx, lomme, outbox, frozen_clock):
    create_user(app, CAMILLE, "Camille", lomme=("resident",))
    choose_digest()
    seen = tell(user(), db.session.get(Territory, lomme))
    db.session.commit()
    seen.read_at = clock.now()
    db.session.commit()

    assert send_daily_digests(frozen_clock + timedelta(hours=8)) == 0
    deliver_due(frozen_clock + timedelta(hours=8))

    assert outbox.messages() == []
    assert db.session.get(Notification, seen.id).email_status == "digested"


def test_only_people_who_chose_the_digest_get_one(app, ctx, lomme, outbox, frozen_clock):
    create_user(app, CAMILLE, "Camille", lomme=("resident",))
    create_user(app, "sacha@example.org", "Sacha", lomme=("resident",))
    choose_digest()
    tell(user(), db.session.get(Territory, lomme))
    tell(user("sacha@example.org"), db.session.get(Territory, lomme))
    db.session.commit()
    deliver_due(clock.now())

    send_daily_digests(frozen_clock + timedelta(hours=8))
    deliver_due(frozen_clock + timedelta(hours=8))

    assert [m["Subject"] for m in outbox.to("sacha@example.org")] == ["Votre demande pour rejoindre Lomme"]
    assert [m["Subject"] for m in outbox.to(CAMILLE)] == ["Votre résumé du jour : 1 notification"]
