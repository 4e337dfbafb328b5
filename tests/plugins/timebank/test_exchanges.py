"""Exchanges other than childcare: recorded by the receiver, confirmed by the provider, or asked for by the provider;
reminders and expiry; the acceptance scenarios 1 (through the web, concurrently), 4 and 8."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from platformcoop import clock
from platformcoop.extensions import db
from platformcoop.notifications.models import Notification
from platformcoop.notifications.outbox import deliver_due
from platformcoop.plugins.manager import get_registry
from platformcoop.scheduling import run_job
from platformcoop.tenancy import territory_context
from platformcoop.tenancy.models import Territory
from platformcoop.tenancy.services import update_module_settings
from plugins.timebank import categories, exchanges, services
from plugins.timebank.models import Account, Category, Exchange, Movement, Post, Transfer
from plugins.timebank.services import TimebankError
from tests.conftest import create_user, is_postgres
from tests.plugins.timebank.support import BASE, assert_invariants, client_for, territory, user

ANNE, BRUNO, CORALIE = "anne@example.org", "bruno@example.org", "coord@example.org"
NEW = f"{BASE}/echanges/nouveau"


# -- helpers (also used by test_account.py) --------------------------------------------------------------------------


def ensure_categories(t: Territory) -> dict[str, Category]:
    """The territory's categories by key; the default ones are created if the territory has none of them yet."""
    categories.ensure_default_categories(t)
    existing = {c.key: c for c in db.session.scalars(select(Category).where(Category.territory_id == t.id))}
    for position, (key, label) in enumerate(categories.DEFAULT_CATEGORIES):
        if key not in existing:
            existing[key] = Category(territory_id=t.id, key=key, label=label, position=position, active=True)
            db.session.add(existing[key])
    db.session.commit()
    return existing


def set_settings(t: Territory, **values) -> None:
    update_module_settings(get_registry(), t, "timebank", values)
    db.session.commit()


def open_accounts(*people_ids) -> list[Account]:
    t = territory()
    accounts = [services.open_account(t, user(pid)) for pid in people_ids]
    db.session.commit()
    return accounts


def form(counterpart, hours="1", minutes="0", category=None, description="Réparation du vélo", **extra) -> dict:
    data = {
        "counterpart": str(counterpart),
        "duration-hours": str(hours),
        "duration-minutes": str(minutes),
        "description": description,
        **extra,
    }
    if category is not None:
        data["category"] = str(category)
    return data


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def only_exchange() -> Exchange:
    db.session.expire_all()
    [exchange] = db.session.scalars(select(Exchange)).all()
    return exchange


def balances(*accounts: Account) -> tuple[int, ...]:
    db.session.expire_all()
    return tuple(db.session.get(Account, a.id).balance for a in accounts)


@pytest.fixture
def diy(app, people) -> int:
    """Anne and Bruno have accounts (2 h each); the id of the "Bricolage" category."""
    with app.app_context():
        open_accounts(people["anne"], people["bruno"])
        return ensure_categories(territory())["diy"].id


def member_accounts() -> list[Account]:
    return list(db.session.scalars(select(Account).where(Account.user_id.is_not(None)).order_by(Account.id)))


# Web requests run outside any app context of the test (a request inside one would share its ``g`` and session);
# the database is read in ``with app.app_context():`` blocks.

# -- recording a service received -------------------------------------------------------------------------------------


def test_a_service_received_moves_the_hours_at_once_and_tells_the_provider(app, people, diy, outbox):
    anne = client_for(app, ANNE)

    response = anne.post(NEW, data=form(people["bruno"], 1, 30, diy))

    assert response.status_code == 302
    with app.app_context():
        exchange = only_exchange()
        assert (exchange.status, exchange.initiated_by, exchange.minutes) == ("done", "receiver", 90)
        transfer = exchange.transfer
        assert (transfer.from_account.user_id, transfer.to_account.user_id) == (people["anne"], people["bruno"])
        assert (transfer.category_id, transfer.description) == (diy, "Réparation du vélo")
        assert balances(exchange.receiver_account, exchange.provider_account) == (30, 210)
        assert db.session.scalars(select(Notification.kind).where(Notification.user_id == people["bruno"])).all() == [
            "timebank.exchange"
        ]
        assert_invariants(territory())
    [mail] = outbox.to(BRUNO)
    assert mail["Subject"] == "Anne vous a versé 1 h 30"
    assert "Réparation du vélo" in outbox.body(mail)
    assert f"http://localhost{BASE}/echanges/" in outbox.body(mail)


def test_when_providers_confirm_the_hours_move_only_once_the_provider_confirmed(app, people, diy, outbox):
    with app.app_context():
        set_settings(territory(), provider_confirms=True)
    anne, bruno = client_for(app, ANNE), client_for(app, BRUNO)

    assert anne.post(NEW, data=form(people["bruno"], 2, 0, diy)).status_code == 302
    with app.app_context():
        exchange = only_exchange()
        assert (exchange.status, exchange.transfer_id, exchange.expires_at) == ("pending", None, None)
        assert count(Transfer) == 2  # the welcome credits only
    [to_confirm] = outbox.to(BRUNO)
    assert to_confirm["Subject"] == "Anne indique avoir reçu 2 h de votre part : à confirmer"
    assert "Anne indique avoir reçu 2 h de votre part." in bruno.get(f"{BASE}/").get_data(as_text=True)

    response = bruno.post(f"{BASE}/echanges/{exchange.id}/confirmer")

    assert response.status_code == 302
    with app.app_context():
        exchange = only_exchange()
        assert exchange.status == "done" and exchange.transfer is not None
        assert balances(exchange.receiver_account, exchange.provider_account) == (0, 240)
        assert_invariants(territory())
    [confirmed] = outbox.to(ANNE)
    assert confirmed["Subject"] == "Bruno a confirmé l'échange de 2 h"


def test_the_provider_declines_with_a_reason_and_no_time_moves(app, people, diy, outbox):
    with app.app_context():
        set_settings(territory(), provider_confirms=True)
    anne, bruno = client_for(app, ANNE), client_for(app, BRUNO)
    anne.post(NEW, data=form(people["bruno"], 1, 0, diy))
    with app.app_context():
        exchange_id = only_exchange().id

    without_reason = bruno.post(f"{BASE}/echanges/{exchange_id}/refuser", data={"reason": " "})
    assert without_reason.status_code == 422
    assert "Indiquez la raison du refus." in without_reason.get_data(as_text=True)
    response = bruno.post(f"{BASE}/echanges/{exchange_id}/refuser", data={"reason": "C'était une heure, pas deux"})

    assert response.status_code == 302
    with app.app_context():
        exchange = only_exchange()
        assert (exchange.status, exchange.decline_reason, exchange.transfer_id) == (
            "declined",
            "C'était une heure, pas deux",
            None,
        )
        assert balances(exchange.receiver_account, exchange.provider_account) == (120, 120)
    [declined] = outbox.to(ANNE)
    assert declined["Subject"] == "Bruno a refusé l'échange de 1 h"
    assert "C'était une heure, pas deux" in outbox.body(declined)


def test_a_limit_refusal_leaves_the_exchange_pending_and_shows_the_message(app, people, diy):
    with app.app_context():
        t = territory()
        set_settings(t, provider_confirms=True)
        anne_account, bruno_account = member_accounts()
        services.transfer(t, anne_account, bruno_account, 480)
        services.transfer(t, anne_account, bruno_account, 180)  # Anne at -9 h
        db.session.commit()
        anne_id = anne_account.id
    anne, bruno = client_for(app, ANNE), client_for(app, BRUNO)
    anne.post(NEW, data=form(people["bruno"], 1, 15, diy))
    with app.app_context():
        exchange_id = only_exchange().id

    response = bruno.post(f"{BASE}/echanges/{exchange_id}/confirmer")

    assert response.status_code == 409
    assert "Solde insuffisant : le solde ne peut pas descendre sous -10 h" in response.get_data(as_text=True)
    with app.app_context():
        assert (only_exchange().status, only_exchange().transfer_id) == ("pending", None)
        assert db.session.get(Account, anne_id).balance == -540
        assert_invariants(territory())


def test_a_second_confirmation_moves_nothing_and_says_so(app, people, diy):
    with app.app_context():
        set_settings(territory(), provider_confirms=True)
    anne, bruno = client_for(app, ANNE), client_for(app, BRUNO)
    anne.post(NEW, data=form(people["bruno"], 1, 0, diy))
    with app.app_context():
        exchange_id = only_exchange().id

    assert bruno.post(f"{BASE}/echanges/{exchange_id}/confirmer").status_code == 302
    again = bruno.post(f"{BASE}/echanges/{exchange_id}/confirmer")

    assert again.status_code == 409
    assert "Cet échange est déjà confirmé." in again.get_data(as_text=True)
    with app.app_context():
        assert count(Transfer) == 3
        assert_invariants(territory())


def test_the_form_lists_members_with_an_account_by_name_and_prefills_from_a_post(app, people, lomme):
    zoe = create_user(app, "zoe@example.org", "Zoé", libercourt=("resident",))
    create_user(app, "yves@example.org", "Yves sans compte", libercourt=("resident",))
    louis = create_user(app, "louis@example.org", "Louis", lomme=("resident",))
    with app.app_context():
        t = territory()
        open_accounts(people["anne"], people["bruno"], zoe)
        services.open_account(territory("lomme"), user(louis))
        cats = ensure_categories(t)
        gardening = cats["gardening"].id
        post = Post(territory_id=t.id, author_id=zoe, kind="offer", category_id=gardening, title="Je taille")
        db.session.add(post)
        db.session.commit()
        post_id = post.id
    anne = client_for(app, ANNE)

    page = anne.get(f"{NEW}?provider_id={zoe}&post_id={post_id}").get_data(as_text=True)

    assert page.index(">Bruno</option>") < page.index(">Zoé</option>")
    assert f'<option selected value="{zoe}">Zoé</option>' in page
    assert "Yves sans compte" not in page and "Louis" not in page and ">Anne</option>" not in page
    assert "Garde d&#39;enfants</option>" not in page and "Jardinage</option>" in page
    assert f'<option selected value="{gardening}">Jardinage</option>' in page
    assert f'name="post_id" type="hidden" value="{post_id}"' in page
    assert anne.get(f"{NEW}?post_id=999999").status_code == 404


def test_the_person_and_the_description_are_required(app, people, diy):
    anne = client_for(app, ANNE)

    nobody = anne.post(NEW, data=form("", 1, 0, diy))
    no_words = anne.post(NEW, data=form(people["bruno"], 1, 0, diy, description="  "))

    assert (nobody.status_code, no_words.status_code) == (422, 422)
    assert "Choisissez la personne." in nobody.get_data(as_text=True)
    assert "Décrivez le service en quelques mots." in no_words.get_data(as_text=True)
    with app.app_context():
        assert count(Exchange) == 0


def test_childcare_cannot_be_recorded_as_an_exchange(app, people, diy):
    with app.app_context():
        childcare = ensure_categories(territory())["childcare"].id
    anne = client_for(app, ANNE)

    response = anne.post(NEW, data=form(people["bruno"], 1, 0, childcare))

    assert response.status_code == 422
    with app.app_context():
        assert count(Exchange) == 0 and count(Transfer) == 2
        anne_account, bruno_account = member_accounts()
        with pytest.raises(TimebankError, match="garde d'enfants"):
            exchanges.record_exchange(territory(), anne_account, bruno_account, 60, actor=None, category_id=childcare)


# -- payment requests ----------------------------------------------------------------------------------------------


def test_a_payment_request_waits_for_the_receiver_who_accepts(app, people, diy, outbox, frozen_clock):
    anne, bruno = client_for(app, ANNE), client_for(app, BRUNO)
    page = bruno.get(f"{NEW}?receiver_id={people['anne']}").get_data(as_text=True)
    assert "Demander des heures pour un service rendu" in page and "À qui avez-vous rendu ce service ?" in page

    response = bruno.post(NEW, data=form(people["anne"], 2, 0, diy, direction="given"))

    assert response.status_code == 302
    with app.app_context():
        exchange = only_exchange()
        assert (exchange.initiated_by, exchange.status, exchange.transfer_id) == ("provider", "pending", None)
        assert exchange.provider_account.user_id == people["bruno"]
        assert exchange.expires_at == frozen_clock + timedelta(days=7)
    [requested] = outbox.to(ANNE)
    assert requested["Subject"] == "Bruno vous demande 2 h pour un service rendu"
    assert "17/03/2026" in outbox.body(requested)

    assert anne.post(f"{BASE}/echanges/{exchange.id}/confirmer").status_code == 302

    with app.app_context():
        exchange = only_exchange()
        assert exchange.status == "done"
        assert balances(exchange.receiver_account, exchange.provider_account) == (0, 240)
        assert_invariants(territory())
    [accepted] = outbox.to(BRUNO)
    assert accepted["Subject"] == "Anne a accepté votre demande de 2 h"


def test_the_receiver_declines_a_payment_request(app, people, diy, outbox):
    anne, bruno = client_for(app, ANNE), client_for(app, BRUNO)
    bruno.post(NEW, data=form(people["anne"], 1, 0, diy, direction="given"))
    with app.app_context():
        exchange_id = only_exchange().id

    anne.post(f"{BASE}/echanges/{exchange_id}/refuser", data={"reason": "Je n'ai rien demandé"})

    with app.app_context():
        assert only_exchange().status == "declined"
        assert count(Transfer) == 2
    assert outbox.to(BRUNO)[-1]["Subject"] == "Anne a refusé l'échange de 1 h"


def test_only_the_other_side_answers_and_only_the_initiator_cancels(app, people, diy, outbox):
    create_user(app, "dan@example.org", "Dan", libercourt=("resident",))
    anne, bruno, coord = client_for(app, ANNE), client_for(app, BRUNO), client_for(app, CORALIE)
    dan = client_for(app, "dan@example.org")
    bruno.post(NEW, data=form(people["anne"], 1, 0, diy, direction="given"))
    with app.app_context():
        url = f"{BASE}/echanges/{only_exchange().id}"

    assert bruno.post(f"{url}/confirmer").status_code == 403  # his own request
    assert anne.post(f"{url}/annuler").status_code == 403  # not hers to cancel
    assert coord.get(url).status_code == 200  # coordinators see it ...
    assert coord.post(f"{url}/confirmer").status_code == 403  # ... but do not answer for people
    assert dan.get(url).status_code == 404
    assert dan.post(f"{url}/confirmer").status_code == 404
    with app.app_context():
        assert only_exchange().status == "pending"

    page = bruno.get(url).get_data(as_text=True)
    assert "Annuler ma demande" in page and "Refuser cet échange" not in page
    assert "Refuser cet échange" in anne.get(url).get_data(as_text=True)
    assert bruno.post(f"{url}/annuler").status_code == 302

    with app.app_context():
        assert only_exchange().status == "cancelled"
    assert outbox.to(ANNE)[-1]["Subject"] == "Bruno a annulé l'échange de 1 h"
    assert anne.post(f"{url}/confirmer").status_code == 409
    with app.app_context():
        assert count(Transfer) == 2


# -- scenario 4: amounts refused by the server -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "minutes"),
    [("0", "0"), ("-1", "0"), ("0", "-15"), ("0", "7"), ("8", "15"), ("9", "0"), ("un", "0"), ("", "")],
    ids=["zero", "negative-hours", "negative-minutes", "off-step", "over-max", "over-max-on-step", "text", "empty"],
)
def test_scenario_4_bad_amounts_are_refused_even_when_posted_directly(app, people, diy, hours, minutes):
    anne = client_for(app, ANNE)

    for direction in ("received", "given"):
        response = anne.post(NEW, data=form(people["bruno"], hours, minutes, diy, direction=direction))
        assert response.status_code == 422
        assert "Le formulaire contient des erreurs" in response.get_data(as_text=True)

    with app.app_context():
        assert count(Exchange) == 0 and count(Transfer) == 2
        assert_invariants(territory())


def test_scenario_4_the_services_refuse_bad_amounts_too(ctx, people, diy):
    t = territory()
    anne_account, bruno_account = member_accounts()
    for minutes in (0, -60, 7, 495, 600):
        with pytest.raises(TimebankError):
            exchanges.record_exchange(t, anne_account, bruno_account, minutes, actor=None, category_id=diy)
        with pytest.raises(TimebankError):
            exchanges.request_payment(t, bruno_account, anne_account, minutes, actor=None, category_id=diy)
        db.session.rollback()
    assert count(Exchange) == 0 and count(Transfer) == 2


def test_the_duration_field_follows_the_territorys_step_and_maximum(app, people, diy):
    with app.app_context():
        set_settings(territory(), step_minutes=30, max_transfer=180)
    anne = client_for(app, ANNE)

    page = anne.get(NEW).get_data(as_text=True)

    assert '<option value="3">3 h</option>' in page and '<option value="4">4 h</option>' not in page
    assert '<option value="30">30 min</option>' in page and '<option value="15">15 min</option>' not in page
    assert "Entre 30 minutes et 3 h, par tranches de 30 minutes." in page
    assert '<label for="duration-hours">Durée</label>' in page and '<select id="duration-hours"' in page
    assert '<label class="visually-hidden" for="duration-minutes">Minutes</label>' in page
    assert anne.post(NEW, data=form(people["bruno"], 0, 45, diy)).status_code == 422
    assert anne.post(NEW, data=form(people["bruno"], 2, 30, diy)).status_code == 302


# -- scenario 8: another territory's people and accounts ---------------------------------------------------------------


def test_scenario_8_an_exchange_with_another_territorys_member_is_404_and_writes_nothing(app, people, diy, lomme):
    louis = create_user(app, "louis@example.org", "Louis", lomme=("resident",))
    with app.app_context():
        louis_account_id = services.open_account(territory("lomme"), user(louis)).id
        db.session.commit()
        before = (count(Exchange), count(Transfer), count(Movement))
    anne = client_for(app, ANNE)

    for target in (louis, louis_account_id):
        for direction in ("received", "given"):
            response = anne.post(NEW, data=form(target, 1, 0, diy, direction=direction))
            assert response.status_code == 404, (target, direction)
    page = anne.get(f"{NEW}?provider_id={louis}").get_data(as_text=True)
    assert "Louis" not in page

    with app.app_context():
        assert (count(Exchange), count(Transfer), count(Movement)) == before
        lomme_t = territory("lomme")
        assert services.movements_sum(lomme_t, db.session.get(Account, louis_account_id)) == 120
        assert_invariants(territory())
        assert_invariants(lomme_t)


def test_an_exchange_of_another_territory_is_404(app, people, diy, lomme):
    louis = create_user(app, "louis@example.org", "Louis", lomme=("resident",))
    lea = create_user(app, "lea@example.org", "Léa", lomme=("resident",))
    with app.app_context():
        lomme_t = territory("lomme")
        with territory_context(lomme_t):
            louis_account, lea_account = (services.open_account(lomme_t, user(uid)) for uid in (louis, lea))
            theirs = exchanges.request_payment(lomme_t, louis_account, lea_account, 60, actor=None, description="Pain")
        db.session.commit()
        theirs_id = theirs.id
    anne = client_for(app, ANNE)

    assert anne.get(f"{BASE}/echanges/{theirs_id}").status_code == 404
    for action in ("confirmer", "refuser", "annuler"):
        assert anne.post(f"{BASE}/echanges/{theirs_id}/{action}", data={"reason": "non"}).status_code == 404
    with app.app_context():
        assert db.session.get(Exchange, theirs_id).status == "pending"


# -- reminders and expiry ----------------------------------------------------------------------------------------------

START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def _sweep_at(app, moment: datetime) -> None:
    with clock.frozen(moment):
        run_job(app, "timebank.exchanges", clock.now())
        with app.app_context():
            deliver_due(clock.now())


def test_an_unanswered_request_is_reminded_once_the_day_before_then_expires(app, people, diy, outbox):
    with app.app_context(), clock.frozen(START):
        anne_account, bruno_account = member_accounts()
        exchanges.request_payment(
            territory(), bruno_account, anne_account, 90, actor=user(people["bruno"]), category_id=diy
        )
        db.session.commit()
        deliver_due(clock.now())

    _sweep_at(app, START + timedelta(days=5, hours=23))
    assert [m["Subject"] for m in outbox.to(ANNE)] == ["Bruno vous demande 1 h 30 pour un service rendu"]

    _sweep_at(app, START + timedelta(days=6, minutes=1))
    _sweep_at(app, START + timedelta(days=6, hours=5))  # a later run does not remind again
    reminders = outbox.to(ANNE)[1:]
    assert [m["Subject"] for m in reminders] == ["Rappel : Bruno attend votre réponse pour 1 h 30"]
    assert "17/03/2026" in outbox.body(reminders[0])
    with app.app_context():
        assert f"http://localhost{BASE}/echanges/{only_exchange().id}" in outbox.body(reminders[0])
        assert only_exchange().reminded_at == START + timedelta(days=6, minutes=1)
        kinds = db.session.scalars(
            select(Notification.kind).where(Notification.user_id == people["anne"]).order_by(Notification.id)
        ).all()
        assert kinds == ["timebank.exchange", "timebank.reminder"]

    _sweep_at(app, START + timedelta(days=7))

    with app.app_context():
        exchange = only_exchange()
        assert (exchange.status, exchange.decided_at, exchange.transfer_id) == (
            "expired",
            START + timedelta(days=7),
            None,
        )
        assert count(Transfer) == 2
    assert outbox.to(ANNE)[-1]["Subject"] == "La demande de 1 h 30 a expiré"
    assert outbox.to(BRUNO)[-1]["Subject"] == "La demande de 1 h 30 a expiré"
    _sweep_at(app, START + timedelta(days=8))
    assert len(outbox.to(ANNE)) == 3 and len(outbox.to(BRUNO)) == 1


def test_a_request_past_its_deadline_cannot_be_accepted_before_the_sweep(app, people, diy):
    with clock.frozen(START):
        client_for(app, BRUNO).post(NEW, data=form(people["anne"], 1, 0, diy, direction="given"))
    with app.app_context():
        exchange_id = only_exchange().id

    with clock.frozen(START + timedelta(days=7, seconds=1)):
        response = client_for(app, ANNE).post(f"{BASE}/echanges/{exchange_id}/confirmer")

    assert response.status_code == 409
    assert "Cette demande a expiré." in response.get_data(as_text=True)
    with app.app_context():
        assert count(Transfer) == 2 and only_exchange().status == "pending"


def test_a_reminder_missed_by_a_late_sweep_is_not_sent_after_the_expiry(app, people, diy, outbox):
    with app.app_context(), clock.frozen(START):
        anne_account, bruno_account = member_accounts()
        exchanges.request_payment(territory(), bruno_account, anne_account, 60, actor=None, category_id=diy)
        db.session.commit()

    _sweep_at(app, START + timedelta(days=9))

    with app.app_context():
        assert only_exchange().status == "expired"
    assert [m["Subject"] for m in outbox.to(ANNE)] == [
        "Bruno vous demande 1 h pour un service rendu",
        "La demande de 1 h a expiré",
    ]


# -- personal data helpers ---------------------------------------------------------------------------------------------


def test_export_and_cancel_the_pending_exchanges_of_a_leaving_member(ctx, people, diy):
    t = territory()
    anne_account, bruno_account = member_accounts()
    exchanges.record_exchange(t, anne_account, bruno_account, 60, actor=None, category_id=diy, description="Étagère")
    exchanges.request_payment(t, bruno_account, anne_account, 30, actor=None, category_id=diy, description="Clé")
    db.session.commit()

    exported = exchanges.export_exchanges(t, anne_account)

    assert [(e["role"], e["other_person"], e["minutes"], e["hours"], e["status"]) for e in exported] == [
        ("receiver", "Bruno", 60, "1.00", "done"),
        ("receiver", "Bruno", 30, "0.50", "pending"),
    ]
    assert exported[0]["category"] == "Bricolage" and exported[0]["description"] == "Étagère"

    assert exchanges.cancel_pending_for(t, bruno_account) == 1
    db.session.commit()
    assert sorted(db.session.scalars(select(Exchange.status))) == ["cancelled", "done"]
    assert exchanges.cancel_pending_for(t, bruno_account) == 0


# -- concurrency (scenario 1 through the web, double confirmations) ----------------------------------------------------

needs_postgres = pytest.mark.skipif(
    not is_postgres(), reason="needs PostgreSQL: SQLite serialises writers, no row locks to test"
)


def _race(app, actions) -> list[int]:
    """Run each action (a function of a fresh test client) in its own thread, all released at once."""
    barrier = threading.Barrier(len(actions))
    statuses: list[int] = []

    def run(action):
        client = action[0]
        barrier.wait()
        statuses.append(action[1](client).status_code)

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.postgres
@needs_postgres
def test_a_double_confirmation_in_parallel_writes_exactly_one_transfer(app, people):
    with app.app_context():
        open_accounts(people["anne"], people["bruno"])
        set_settings(territory(), provider_confirms=True)
        diy = ensure_categories(territory())["diy"].id
        client_for(app, ANNE).post(NEW, data=form(people["bruno"], 1, 30, diy))
        exchange_id = only_exchange().id
        db.session.remove()
    url = f"{BASE}/echanges/{exchange_id}/confirmer"
    clients = [client_for(app, BRUNO) for _ in range(8)]

    statuses = _race(app, [(c, lambda c: c.post(url)) for c in clients])

    assert sorted(statuses) == [302] + [409] * 7
    with app.app_context():
        exchange = only_exchange()
        assert exchange.status == "done"
        assert count(Transfer) == 3  # two welcome credits and this one
        assert balances(exchange.receiver_account, exchange.provider_account) == (30, 210)
        assert_invariants(territory())


def _anne_at_minus_nine_hours(app, people) -> int:
    with app.app_context():
        t = territory()
        anne, bruno, coord = open_accounts(people["anne"], people["bruno"], people["coord"])
        services.transfer(t, anne, bruno, 480)
        services.transfer(t, anne, coord, 180)
        db.session.commit()
        assert anne.balance == -540
        return ensure_categories(t)["diy"].id


@pytest.mark.postgres
@needs_postgres
def test_scenario_1_two_confirmations_in_parallel_from_a_member_at_minus_nine_hours_one_succeeds(app, people):
    diy = _anne_at_minus_nine_hours(app, people)
    with app.app_context():
        set_settings(territory(), provider_confirms=True)
        anne = client_for(app, ANNE)
        anne.post(NEW, data=form(people["bruno"], 1, 0, diy))
        anne.post(NEW, data=form(people["coord"], 1, 0, diy))
        ids = db.session.scalars(select(Exchange.id).order_by(Exchange.id)).all()
        db.session.remove()
    bruno, coord = client_for(app, BRUNO), client_for(app, CORALIE)

    statuses = _race(
        app,
        [
            (bruno, lambda c: c.post(f"{BASE}/echanges/{ids[0]}/confirmer")),
            (coord, lambda c: c.post(f"{BASE}/echanges/{ids[1]}/confirmer")),
        ],
    )

    assert sorted(statuses) == [302, 409]
    with app.app_context():
        assert sorted(db.session.scalars(select(Exchange.status))) == ["done", "pending"]
        anne_account = db.session.scalar(select(Account).where(Account.user_id == people["anne"]))
        assert anne_account.balance == -600 == services.movements_sum(territory(), anne_account)
        assert_invariants(territory())


@pytest.mark.postgres
@needs_postgres
def test_scenario_1_two_records_in_parallel_from_a_member_at_minus_nine_hours_one_succeeds(app, people):
    diy = _anne_at_minus_nine_hours(app, people)
    with app.app_context():
        db.session.remove()
    clients = [client_for(app, ANNE), client_for(app, ANNE)]

    statuses = _race(
        app,
        [
            (clients[0], lambda c: c.post(NEW, data=form(people["bruno"], 1, 0, diy))),
            (clients[1], lambda c: c.post(NEW, data=form(people["coord"], 1, 0, diy))),
        ],
    )

    assert sorted(statuses) == [302, 409]
    with app.app_context():
        assert db.session.scalars(select(Exchange.status)).all() == ["done"]  # the refused one was rolled back
        anne_account = db.session.scalar(select(Account).where(Account.user_id == people["anne"]))
        assert anne_account.balance == -600 == services.movements_sum(territory(), anne_account)
        assert_invariants(territory())


def test_scenario_1_two_records_one_after_the_other_from_a_member_at_minus_nine_hours_one_succeeds(app, people):
    """Scenario 1 on every database: the second hour is refused in French (the parallel run is above, PostgreSQL)."""
    diy = _anne_at_minus_nine_hours(app, people)
    anne = client_for(app, ANNE)

    first = anne.post(NEW, data=form(people["bruno"], 1, 0, diy))
    second = anne.post(NEW, data=form(people["coord"], 1, 0, diy))

    assert (first.status_code, second.status_code) == (302, 409)
    assert "Solde insuffisant" in second.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Exchange.status)).all() == ["done"]
        anne_account = db.session.scalar(select(Account).where(Account.user_id == people["anne"]))
        assert anne_account.balance == -600 == services.movements_sum(territory(), anne_account)
        assert_invariants(territory())
