"""The time bank ledger: transfers, limits, welcome credit, reversals and the double-entry invariants."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from platformcoop import clock
from platformcoop.extensions import db
from platformcoop.formatting import format_duration, format_money
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy.models import Territory
from platformcoop.tenancy.services import update_module_settings
from plugins.timebank import childcare, services
from plugins.timebank.models import Account, Child, Movement, Session, Transfer, session_child
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


# -- property: random operations keep the invariants ----------------------------------------------------------------
#
# A state machine applies random transfers, reversals, write-offs, manual credits, corrections and childcare sessions
# (confirmed, settled or voided after a dispute, or auto-confirmed by the scheduler; refused ones included) and
# checks after each step: the territory sums to zero, every stored balance is the sum of its movements and equals
# the model's, a refused operation changed nothing, and no balance is outside the limits unless a
# coordinator's audited correction touched the account (tracked by the model).

MIN_BALANCE, MAX_BALANCE = -180, 300  # tight limits, so that the random operations reach them
FIRST_MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # sessions are booked on Mondays, one week after another


def _check_ledger(t: Territory) -> None:
    db.session.expire_all()
    sums = dict(
        db.session.execute(
            select(Movement.account_id, func.sum(Movement.minutes))
            .where(Movement.territory_id == t.id)
            .group_by(Movement.account_id)
        ).all()
    )
    balances = dict(db.session.execute(select(Account.id, Account.balance).where(Account.territory_id == t.id)).all())
    assert sum(sums.values()) == 0
    assert all(balance == sums.get(account_id, 0) for account_id, balance in balances.items())
    unbalanced = db.session.scalar(
        select(func.count()).select_from(
            select(Movement.transfer_id)
            .where(Movement.territory_id == t.id)
            .group_by(Movement.transfer_id)
            .having((func.sum(Movement.minutes) != 0) | (func.count() != 2))
            .subquery()
        )
    )
    assert unbalanced == 0


class LedgerMachine(RuleBasedStateMachine):
    """Accounts 0-2 are Anne, Bruno and Coralie (the coordinator), account 3 the community account. Anne is a parent
    (a child, an emergency contact), Bruno a verified caregiver."""

    people: dict[str, int] = {}

    def __init__(self):
        super().__init__()
        self.t = territory()
        self.coord = user(self.people["coord"])
        members = [services.open_account(self.t, user(self.people[name])) for name in ("anne", "bruno", "coord")]
        self.accounts = [*members, services.community_account(self.t)]
        db.session.commit()
        self.expected = {a.id: a.balance for a in self.accounts}
        self.exempt: set[int] = set()  # accounts a correction, write-off or reversal may have put out of limits
        self.transfers: list[int] = list(db.session.scalars(select(Transfer.id).order_by(Transfer.id)))
        anne, bruno = self.accounts[0], self.accounts[1]
        self.child = childcare.add_child(self.t, anne, first_name="Léa", birth_year=2019)
        childcare.set_emergency_contact(self.t, anne, "Mamie Josette", "06 12 34 56 78")
        childcare.request_vetting(self.t, bruno, "Disponible le samedi.")
        childcare.verify(self.t, bruno, self.coord, "Rencontré au centre social.")
        db.session.commit()
        self.week = 0

    def _apply(self, operation, exempt: bool) -> None:
        """Run ``operation``; commit and follow in the model every transfer it wrote (a scheduler sweep may write
        several), or roll back and check nothing moved."""
        try:
            operation()
            db.session.commit()
        except TimebankError:
            db.session.rollback()
            return
        new = db.session.scalars(
            select(Transfer).where(Transfer.territory_id == self.t.id, Transfer.id.not_in(self.transfers))
        ).all()
        for record in new:
            self.expected[record.from_account_id] -= record.minutes
            self.expected[record.to_account_id] += record.minutes
            self.transfers.append(record.id)
            if exempt:
                self.exempt |= {record.from_account_id, record.to_account_id}

    @rule(a=st.integers(0, 3), b=st.integers(0, 3), n=st.integers(-1, 40))
    def transfer(self, a, b, n):
        self._apply(lambda: services.transfer(self.t, self.accounts[a], self.accounts[b], n * 15), exempt=False)

    @rule(i=st.integers(0, 1000))
    def reverse(self, i):
        original = db.session.get(Transfer, self.transfers[i % len(self.transfers)])
        self._apply(lambda: services.reverse(self.t, original, actor=self.coord, reason="erreur"), exempt=True)

    @rule(a=st.integers(0, 2))
    def write_off(self, a):
        account = self.accounts[a]
        self._apply(lambda: services.write_off(self.t, account, actor=self.coord, reason="départ"), exempt=True)
        if account.closed_at is not None:
            assert account.balance == 0  # a write-off always leaves the account settled

    @rule(a=st.integers(0, 2), n=st.integers(0, 40), exceed=st.booleans())
    def manual_credit(self, a, n, exceed):
        self._apply(
            lambda: services.manual_credit(
                self.t, self.accounts[a], n * 15, actor=self.coord, reason="bénévolat", exceed_limits=exceed
            ),
            exempt=exceed,
        )

    @rule(a=st.integers(0, 3), b=st.integers(0, 3), n=st.integers(0, 200))
    def correction(self, a, b, n):
        self._apply(
            lambda: services.correction(
                self.t, self.accounts[a], self.accounts[b], n, actor=self.coord, reason="reprise"
            ),
            exempt=True,
        )

    @rule(
        quarters=st.integers(1, 32),
        outcome=st.sampled_from(["confirm", "settle", "void", "auto"]),
        q=st.integers(1, 32),
    )
    def childcare_session(self, quarters, outcome, q):
        """Anne books Bruno for ``quarters`` × 15 min; he accepts and declares; then the parent confirms, or disputes
        and a coordinator settles (``q`` × 15 min) or voids, or nobody answers and the scheduler auto-confirms."""
        anne, bruno = self.accounts[0], self.accounts[1]
        monday = FIRST_MONDAY + timedelta(weeks=self.week)
        self.week += 1
        starts = monday + timedelta(days=5, hours=4)
        ends = starts + timedelta(minutes=15 * quarters)
        try:
            with clock.frozen(monday):
                session = childcare.book_session(
                    self.t, anne, bruno, starts_at=starts, ends_at=ends, child_ids=[self.child.id]
                )
                childcare.accept_session(self.t, session, bruno.user)
            with clock.frozen(ends + timedelta(hours=1)):
                childcare.declare_session(self.t, session, bruno.user, starts, ends)
            db.session.commit()
        except TimebankError:  # e.g. Anne's account was written off (closed)
            db.session.rollback()
            return

        def finish():
            with clock.frozen(ends + timedelta(hours=2)):
                if outcome == "confirm":
                    childcare.confirm_session(self.t, session, anne.user)
                elif outcome == "auto":  # the reminder first, the automatic confirmation a day later
                    deadline = ends + timedelta(days=services.settings(self.t)["session_answer_days"] + 2)
                    for at in (deadline, deadline + timedelta(days=1, minutes=1)):
                        with clock.frozen(at):
                            childcare.sweep(self.t, clock.now())
                else:
                    childcare.dispute_session(self.t, session, anne.user, "Ce n'est pas la bonne durée.")
                    if outcome == "settle":
                        childcare.settle_session(self.t, session, self.coord, q * 15, "Accord trouvé.")
                    else:
                        childcare.void_session(self.t, session, self.coord, "Garde annulée d'un commun accord.")

        self._apply(finish, exempt=False)
        db.session.refresh(session)
        assert db.session.scalar(
            select(func.count()).select_from(Transfer).where(Transfer.id == session.transfer_id)
        ) == (1 if session.status in (Session.CONFIRMED, Session.SETTLED) else 0)

    @invariant()
    def ledger_is_balanced_and_within_limits(self):
        _check_ledger(self.t)  # what assert_invariants checks, in three queries (it runs after every step)
        for account in self.accounts:
            assert account.balance == self.expected[account.id]
            if not account.is_community and account.id not in self.exempt:
                assert MIN_BALANCE <= account.balance <= MAX_BALANCE, account.balance

    def teardown(self):
        db.session.rollback()
        assert_invariants(self.t)
        # clean for the next example (the autouse fixture empties tables only once per test function)
        session_ids = select(Session.id).where(Session.territory_id == self.t.id)
        db.session.execute(session_child.delete().where(session_child.c.session_id.in_(session_ids)))
        for model in (Session, Child, Movement, Transfer, Account):
            db.session.execute(model.__table__.delete().where(model.territory_id == self.t.id))
        db.session.commit()


def test_random_operations_keep_the_ledger_balanced(ctx, people):
    update_module_settings(
        get_registry(), territory(), "timebank", {"min_balance": MIN_BALANCE, "max_balance": MAX_BALANCE}
    )
    db.session.commit()
    LedgerMachine.people = people
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )


# -- the page --------------------------------------------------------------------------------------------------------


def test_the_page_shows_the_members_balance_and_movements(app, client, people):
    with app.app_context():
        services.open_account(territory(), user(people["anne"]))  # joined (the charter accepted)
        db.session.commit()
    login(client, "anne@example.org")
    client.post("/libercourt/banque-de-temps/rejoindre", data={"accept": "y"})  # accepts the charter
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
