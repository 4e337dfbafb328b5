"""The time bank ledger: transfers, limits, welcome credit, reversals and the double-entry invariants."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from platformcoop.extensions import db
from platformcoop.formatting import format_duration, format_money
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy.models import Territory
from platformcoop.tenancy.services import update_module_settings
from plugins.timebank import services
from plugins.timebank.models import Account, Movement, Transfer
from plugins.timebank.services import TimebankError
from tests.conftest import create_user, is_postgres, login
from tests.plugins.timebank.support import assert_invariants, territory, user


def test_opening_an_account_pays_the_welcome_credit_from_the_community_account(ctx, people):
    t = territory()
    anne = services.open_account(t, user(people["anne"]))
    db.session.commit()
    assert anne.balance == 120
    assert services.community_account(t).balance == -120
    assert services.open_account(t, user(people["anne"])).id == anne.id  # opened once, paid once
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Transfer)) == 1
    assert_invariants(t)


def test_a_transfer_writes_two_balanced_movements_and_updates_both_balances(ctx, people):
    t = territory()
    anne = services.open_account(t, user(people["anne"]))
    bruno = services.open_account(t, user(people["bruno"]))
    record = services.transfer(t, anne, bruno, 90, actor=user(people["anne"]), description="Garde de Léa")
    db.session.commit()
    assert (anne.balance, bruno.balance) == (30, 210)
    assert sorted(m.minutes for m in db.session.scalars(select(Movement).filter_by(transfer_id=record.id))) == [-90, 90]
    assert_invariants(t)


def test_a_transfer_below_the_floor_is_refused_in_french_and_writes_nothing(ctx, people):
    t = territory()
    anne = services.open_account(t, user(people["anne"]))
    bruno = services.open_account(t, user(people["bruno"]))
    db.session.commit()
    services.transfer(t, anne, bruno, 480)
    services.transfer(t, anne, bruno, 240)  # 120 - 720 = -600: exactly the floor
    db.session.commit()
    assert anne.balance == -600
    count = db.session.scalar(select(func.count()).select_from(Movement))
    with pytest.raises(TimebankError, match="Solde insuffisant : le solde ne peut pas descendre sous -10 h"):
        services.transfer(t, anne, bruno, 15)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Movement)) == count
    assert (anne.balance, bruno.balance) == (-600, 840)
    assert_invariants(t)


def test_a_transfer_above_the_ceiling_is_refused(ctx, people):
    t = territory()
    update_module_settings(get_registry(), t, "timebank", {"max_balance": 180})
    anne = services.open_account(t, user(people["anne"]))
    bruno = services.open_account(t, user(people["bruno"]))
    db.session.commit()
    with pytest.raises(TimebankError, match="solde maximal de 3 h"):
        services.transfer(t, anne, bruno, 75)
    db.session.rollback()
    assert (anne.balance, bruno.balance) == (120, 120)
    assert_invariants(t)


@pytest.mark.parametrize("minutes", [0, -15, 7, 495, 600])
def test_zero_negative_off_step_and_over_maximum_amounts_are_refused(ctx, people, minutes):
    t = territory()
    anne = services.open_account(t, user(people["anne"]))
    bruno = services.open_account(t, user(people["bruno"]))
    db.session.commit()
    with pytest.raises(TimebankError):
        services.transfer(t, anne, bruno, minutes)
    assert db.session.scalar(select(func.count()).select_from(Transfer)) == 2  # the two welcome credits


def test_a_coordinator_reverses_a_transfer_once(ctx, people):
    t = territory()
    anne = services.open_account(t, user(people["anne"]))
    bruno = services.open_account(t, user(people["bruno"]))
    wrong = services.transfer(t, anne, bruno, 180)
    db.session.commit()
    with pytest.raises(TimebankError, match="coordinateurs"):
        services.reverse(t, wrong, actor=user(people["anne"]), reason="erreur")
    with pytest.raises(TimebankError, match="raison"):
        services.reverse(t, wrong, actor=user(people["coord"]), reason=" ")
    reversal = services.reverse(t, wrong, actor=user(people["coord"]), reason="3 h saisies au lieu de 1 h 30")
    services.transfer(t, anne, bruno, 90)
    db.session.commit()
    assert reversal.reverses_id == wrong.id
    assert (anne.balance, bruno.balance) == (30, 210)
    assert db.session.get(Transfer, wrong.id).minutes == 180  # the original row is untouched
    with pytest.raises(TimebankError, match="déjà été annulé"):
        services.reverse(t, wrong, actor=user(people["coord"]), reason="encore")
    with pytest.raises(TimebankError, match="ne peut pas être annulée"):
        services.reverse(t, reversal, actor=user(people["coord"]), reason="encore")
    db.session.rollback()
    assert_invariants(t)


def test_accounts_of_another_territory_are_refused(ctx, people, lomme):
    t = territory()
    lomme_user = create_user(ctx, "louis@example.org", "Louis", lomme=("resident",))
    anne = services.open_account(t, user(people["anne"]))
    louis = services.open_account(territory("lomme"), user(lomme_user))
    db.session.commit()
    with pytest.raises(TimebankError):
        services.transfer(t, anne, louis, 60)
    db.session.rollback()
    assert_invariants(t)
    assert_invariants(territory("lomme"))


def test_non_members_have_no_account(ctx, people, lomme):
    outsider = create_user(ctx, "out@example.org", "Out", lomme=("resident",))
    with pytest.raises(TimebankError):
        services.open_account(territory(), user(outsider))


def test_durations_read_in_french():
    assert [format_duration(m) for m in (210, 120, 45, 0, -90)] == ["3 h 30", "2 h", "0 h 45", "0 h", "-1 h 30"]


def test_money_reads_in_french():
    assert format_money(1250).replace("\u202f", " ").replace("\xa0", " ") == "12,50 €"


# -- concurrency ----------------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL: SQLite serialises writers, no row locks to test")
def test_concurrent_transfers_never_overdraw(app, people):
    with app.app_context():
        t = territory()
        update_module_settings(get_registry(), t, "timebank", {"min_balance": 0})
        anne = services.open_account(t, user(people["anne"]))
        bruno = services.open_account(t, user(people["bruno"]))
        db.session.commit()
        anne_id, bruno_id, tid = anne.id, bruno.id, t.id
        db.session.remove()

    barrier = threading.Barrier(10)
    outcomes: list[str] = []

    def spend_everything():
        with app.app_context():
            t = db.session.get(Territory, tid)
            source, destination = db.session.get(Account, anne_id), db.session.get(Account, bruno_id)
            barrier.wait()
            try:
                services.transfer(t, source, destination, 120)
                db.session.commit()
                outcomes.append("ok")
            except TimebankError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=spend_everything) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["ok"] + ["refused"] * 9
    with app.app_context():
        assert db.session.get(Account, anne_id).balance == 0
        assert_invariants(db.session.get(Territory, tid))


# -- property: random transfers and reversals keep the invariants ----------------------------------------------------

operations = st.lists(
    st.one_of(
        st.tuples(st.just("transfer"), st.integers(0, 2), st.integers(0, 2), st.integers(-1, 40)),
        st.tuples(st.just("reverse"), st.integers(0, 30), st.just(0), st.just(0)),
    ),
    max_size=15,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_random_operations_keep_the_ledger_balanced(ctx, people, ops):
    t = territory()
    coord = user(people["coord"])
    accounts = [services.open_account(t, user(people[name])) for name in ("anne", "bruno", "coord")]
    db.session.commit()
    for op, a, b, n in ops:
        try:
            if op == "transfer":
                services.transfer(t, accounts[a], accounts[b], n * 15)
            else:
                transfers = db.session.scalars(select(Transfer).where(Transfer.territory_id == t.id)).all()
                services.reverse(t, transfers[a % len(transfers)], actor=coord, reason="correction")
            db.session.commit()
        except TimebankError:
            db.session.rollback()
        assert_invariants(t)
    # clean for the next example (the autouse fixture empties tables only once per test function)
    for model in (Movement, Transfer, Account):
        db.session.execute(model.__table__.delete().where(model.territory_id == t.id))
    db.session.commit()


# -- the page --------------------------------------------------------------------------------------------------------


def test_the_page_shows_the_members_balance_and_movements(app, client, people):
    login(client, "anne@example.org")
    page = client.get("/libercourt/banque-de-temps/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2 h" in html and "Crédit de bienvenue" in html
    assert 'href="/libercourt/banque-de-temps/"' in client.get("/libercourt/").get_data(as_text=True)


def test_the_page_is_for_members_only(app, client, people, lomme):
    assert client.get("/libercourt/banque-de-temps/").status_code == 302  # anonymous: to the login page
    create_user(app, "louis@example.org", "Louis", lomme=("resident",))
    login(client, "louis@example.org")
    assert client.get("/libercourt/banque-de-temps/").status_code == 403


def test_statistics_and_export(ctx, people):
    from datetime import timedelta

    from platformcoop.clock import now

    t = territory()
    anne = services.open_account(t, user(people["anne"]))
    bruno = services.open_account(t, user(people["bruno"]))
    services.transfer(t, anne, bruno, 90)
    db.session.commit()
    stats = get_registry().collect(t, "pc_territory_stats", start=now() - timedelta(days=1), end=now() + timedelta(1))
    assert [s.value for s in stats if s.key == "timebank_hours_exchanged"] == [1.5]
    from plugins import timebank

    exported = timebank.pc_user_data_export(t, user(people["anne"]))
    assert [m["minutes"] for m in exported["movements"]] == [-90, 120]
