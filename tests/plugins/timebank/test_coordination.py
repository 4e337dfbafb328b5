"""The coordinators' corrections: reversal (and re-recording), write-off, manual credit, correction; their pages, who
may open them (scenario 9) and in which territory (scenario 8)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from platformcoop.audit import AuditLog
from platformcoop.clock import now
from platformcoop.extensions import db
from platformcoop.notifications.outbox import deliver_due
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy.models import Territory
from platformcoop.tenancy.services import update_module_settings
from plugins.timebank import services
from plugins.timebank.models import (
    KIND_CORRECTION,
    KIND_CREDIT,
    KIND_REVERSAL,
    KIND_TRANSFER,
    KIND_WRITE_OFF,
    Account,
    Session,
    Transfer,
)
from plugins.timebank.services import TimebankError
from tests.conftest import create_user, is_postgres
from tests.plugins.timebank.support import BASE, assert_invariants, client_for, territory, user

COORD = BASE + "/coordination"


def _accounts(people) -> tuple[Account, Account]:
    t = territory()
    anne = services.open_account(t, user(people["anne"]))
    bruno = services.open_account(t, user(people["bruno"]))
    db.session.commit()
    return anne, bruno


def _transfer_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Transfer))


def _mails(app, outbox, address: str) -> list[str]:
    with app.app_context():
        deliver_due(now())
    return [outbox.body(message) for message in outbox.to(address)]


def _audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


# -- services -------------------------------------------------------------------------------------------------------


def test_a_leaving_member_with_hours_gives_them_to_the_community_account_and_the_account_closes(ctx, people):
    t = territory()
    anne, bruno = _accounts(people)
    services.transfer(t, bruno, anne, 180)
    db.session.commit()
    record = services.write_off(t, anne, actor=user(people["coord"]), reason="A déménagé à Lille")
    db.session.commit()
    assert (record.kind, record.minutes, record.to_account.is_community) == (KIND_WRITE_OFF, 300, True)
    assert record.description == "A déménagé à Lille"
    assert anne.balance == 0 and anne.closed_at is not None
    with pytest.raises(TimebankError, match="fermé"):
        services.transfer(t, bruno, anne, 15)
    db.session.rollback()
    assert {"timebank.write_off", "timebank.account_closed"} <= set(_audit_actions())
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "timebank.write_off"))
    assert entry.details["reason"] == "A déménagé à Lille" and entry.actor_id == people["coord"]
    assert_invariants(t)


def test_a_negative_balance_is_covered_by_the_community_account(ctx, people):
    t = territory()
    anne, bruno = _accounts(people)
    services.transfer(t, anne, bruno, 300)
    db.session.commit()
    assert anne.balance == -180
    record = services.write_off(t, anne, actor=user(people["coord"]), reason="Départ")
    db.session.commit()
    assert record.from_account.is_community and record.minutes == 180
    assert anne.balance == 0
    assert_invariants(t)


def test_a_zero_balance_just_closes_and_a_closed_settled_account_cannot_be_written_off_again(ctx, people):
    t = territory()
    anne, bruno = _accounts(people)
    services.transfer(t, anne, bruno, 120)
    db.session.commit()
    count = _transfer_count()
    assert services.write_off(t, anne, actor=user(people["coord"]), reason="Départ") is None
    db.session.commit()
    assert anne.closed_at is not None and _transfer_count() == count
    with pytest.raises(TimebankError, match="déjà fermé et soldé"):
        services.write_off(t, anne, actor=user(people["coord"]), reason="encore")


def test_write_offs_credits_and_corrections_need_a_coordinator_and_a_reason(ctx, people):
    t = territory()
    anne, bruno = _accounts(people)
    member, coord = user(people["bruno"]), user(people["coord"])
    for operation in (
        lambda actor, reason: services.write_off(t, anne, actor=actor, reason=reason),
        lambda actor, reason: services.manual_credit(t, anne, 60, actor=actor, reason=reason),
        lambda actor, reason: services.correction(t, anne, bruno, 60, actor=actor, reason=reason),
    ):
        with pytest.raises(TimebankError, match="Seuls les coordinateurs"):
            operation(member, "une raison")
        with pytest.raises(TimebankError, match="raison"):
            operation(coord, "   ")
    db.session.rollback()
    assert _transfer_count() == 2 and anne.closed_at is None  # the welcome credits only
    assert_invariants(t)


def test_a_manual_credit_comes_from_the_community_account_within_the_maximum(ctx, people):
    t = territory()
    update_module_settings(get_registry(), t, "timebank", {"max_balance": 240})
    anne, _bruno = _accounts(people)
    coord = user(people["coord"])
    record = services.manual_credit(t, anne, 60, actor=coord, reason="Aide à la fête de quartier")
    db.session.commit()
    assert (record.kind, record.from_account.is_community, anne.balance) == (KIND_CREDIT, True, 180)
    with pytest.raises(TimebankError, match="solde maximal de 4 h"):
        services.manual_credit(t, anne, 120, actor=coord, reason="Permanence")
    db.session.rollback()
    with pytest.raises(TimebankError, match="multiple de 15"):
        services.manual_credit(t, anne, 7, actor=coord, reason="Permanence")
    db.session.rollback()
    exceeding = services.manual_credit(t, anne, 120, actor=coord, reason="Permanence", exceed_limits=True)
    db.session.commit()
    assert exceeding.kind == KIND_CORRECTION and anne.balance == 300  # above the maximum, explicitly
    assert_invariants(t)


def test_a_closed_account_gets_no_credit(ctx, people):
    t = territory()
    anne, _bruno = _accounts(people)
    coord = user(people["coord"])
    services.write_off(t, anne, actor=coord, reason="Départ")
    db.session.commit()
    with pytest.raises(TimebankError, match="fermé"):
        services.manual_credit(t, anne, 60, actor=coord, reason="Permanence")


def test_a_correction_may_cross_the_limits_between_any_two_accounts(ctx, people):
    t = territory()
    anne, bruno = _accounts(people)
    coord = user(people["coord"])
    record = services.correction(t, anne, bruno, 1200, actor=coord, reason="Reprise du cahier papier")
    db.session.commit()
    assert record.kind == KIND_CORRECTION
    assert (anne.balance, bruno.balance) == (-1080, 1320)  # below the floor of -10 h: an audited correction
    community = services.community_account(t)
    services.correction(t, community, anne, 7, actor=coord, reason="Arrondi de l'ancien cahier")
    db.session.commit()
    assert anne.balance == -1073
    with pytest.raises(TimebankError, match="positive"):
        services.correction(t, anne, bruno, 0, actor=coord, reason="rien")
    assert_invariants(t)


def test_reverse_and_record_puts_the_right_amount_between_the_same_members(ctx, people):
    t = territory()
    anne, bruno = _accounts(people)
    wrong = services.transfer(t, anne, bruno, 180, description="Garde de Léa")
    db.session.commit()
    reversal, right = services.reverse_and_record(
        t, wrong, 90, actor=user(people["coord"]), reason="3 h saisies au lieu de 1 h 30"
    )
    db.session.commit()
    assert reversal.reverses_id == wrong.id
    assert (right.kind, right.minutes, right.description) == (KIND_TRANSFER, 90, "Garde de Léa")
    assert (right.from_account_id, right.to_account_id) == (anne.id, bruno.id)
    assert (anne.balance, bruno.balance) == (30, 210)
    assert_invariants(t)


def test_reverse_and_record_refused_on_the_amount_writes_nothing(ctx, people):
    t = territory()
    anne, bruno = _accounts(people)
    wrong = services.transfer(t, anne, bruno, 180)
    db.session.commit()
    with pytest.raises(TimebankError, match="multiple de 15"):
        services.reverse_and_record(t, wrong, 100, actor=user(people["coord"]), reason="erreur")
    db.session.rollback()
    assert _transfer_count() == 3 and (anne.balance, bruno.balance) == (-60, 300)


# -- scenario 2: a wrong amount, through the pages ------------------------------------------------------------------


def test_scenario_2_three_hours_recorded_instead_of_one_and_a_half(app, people, outbox):
    with app.app_context():
        t = territory()
        anne, bruno = _accounts(people)
        wrong = services.transfer(t, anne, bruno, 180, actor=user(people["anne"]), description="Garde de Léa")
        db.session.commit()
        wrong_id, anne_id = wrong.id, anne.id
    coordinator = client_for(app, "coord@example.org")
    page = coordinator.get(f"{COORD}/echanges/{wrong_id}")
    assert page.status_code == 200 and "Annuler cet échange" in page.get_data(as_text=True)

    response = coordinator.post(
        f"{COORD}/echanges/{wrong_id}",
        data={"reason": "3 h saisies au lieu de 1 h 30", "hours": "1", "minutes": "30"},
    )
    assert response.status_code == 302

    with app.app_context():
        t = territory()
        history = db.session.scalars(select(Transfer).where(Transfer.kind != "welcome").order_by(Transfer.id)).all()
        assert [(r.kind, r.minutes) for r in history] == [("transfer", 180), ("reversal", 180), ("transfer", 90)]
        reversal_id = history[1].id
        assert history[1].reverses_id == wrong_id and history[1].description == "3 h saisies au lieu de 1 h 30"
        assert history[1].created_by_id == people["coord"]
        assert db.session.get(Account, anne_id).balance == 30
        assert_invariants(t)
    detail = coordinator.get(f"{COORD}/echanges/{wrong_id}").get_data(as_text=True)
    assert "3 h saisies au lieu de 1 h 30" in detail and f"echanges/{reversal_id}" in detail  # linked
    # Anne's history, as the coordinator sees it: the three transfers after the welcome credit
    account_page = coordinator.get(f"{COORD}/comptes/{anne_id}").get_data(as_text=True)
    assert account_page.count("Garde de Léa") == 2 and "3 h saisies au lieu de 1 h 30" in account_page
    assert all(f"echanges/{i}" in account_page for i in (wrong_id, reversal_id, reversal_id + 1))
    [mail] = _mails(app, outbox, "anne@example.org")  # one e-mail, with the net change: +3 h then -1 h 30
    assert "+1 h 30 (Annulation, Échange)" in mail and "3 h saisies au lieu de 1 h 30" in mail

    again = coordinator.post(f"{COORD}/echanges/{wrong_id}", data={"reason": "encore"})
    assert again.status_code == 409
    assert "Cet échange a déjà été annulé." in again.get_data(as_text=True)
    reversal_again = coordinator.post(f"{COORD}/echanges/{reversal_id}", data={"reason": "encore"})
    assert reversal_again.status_code == 409
    assert "Une annulation ne peut pas être annulée." in reversal_again.get_data(as_text=True)
    with app.app_context():
        assert _transfer_count() == 5  # two welcome credits and the three above: nothing more
        assert_invariants(territory())


def test_a_reversal_needs_a_reason_on_the_page(app, people):
    with app.app_context():
        anne, bruno = _accounts(people)
        wrong_id = services.transfer(territory(), anne, bruno, 60).id
        db.session.commit()
    response = client_for(app, "coord@example.org").post(f"{COORD}/echanges/{wrong_id}", data={"reason": " "})
    assert response.status_code == 400
    assert "Indiquez la raison" in response.get_data(as_text=True)
    with app.app_context():
        assert _transfer_count() == 3


def test_a_re_recorded_amount_over_the_limit_is_refused_and_the_reversal_is_rolled_back(app, people):
    with app.app_context():
        t = territory()
        update_module_settings(get_registry(), t, "timebank", {"max_balance": 300})
        anne, bruno = _accounts(people)
        wrong_id = services.transfer(t, anne, bruno, 60).id
        db.session.commit()
    response = client_for(app, "coord@example.org").post(
        f"{COORD}/echanges/{wrong_id}", data={"reason": "erreur", "hours": "4", "minutes": "0"}
    )
    assert response.status_code == 422
    assert "solde maximal" in response.get_data(as_text=True)
    with app.app_context():
        assert _transfer_count() == 3 and not db.session.scalar(select(Transfer).where(Transfer.kind == KIND_REVERSAL))


# -- the member's account page: write-off with confirmation, credit, correction --------------------------------------


def test_the_write_off_page_says_the_amount_then_closes_the_account(app, people, outbox):
    with app.app_context():
        anne, bruno = _accounts(people)
        services.transfer(territory(), bruno, anne, 180)
        db.session.commit()
        anne_id = anne.id
    coordinator = client_for(app, "coord@example.org")
    account_page = coordinator.get(f"{COORD}/comptes/{anne_id}").get_data(as_text=True)
    assert "5 h" in account_page and f"comptes/{anne_id}/solder" in account_page
    confirm = coordinator.get(f"{COORD}/comptes/{anne_id}/solder").get_data(as_text=True)
    assert "Le solde de 5 h sera versé au compte commun." in confirm
    with app.app_context():
        assert db.session.get(Account, anne_id).closed_at is None  # the first step changes nothing

    done = coordinator.post(
        f"{COORD}/comptes/{anne_id}/solder", data={"reason": "A quitté la commune", "expected_balance": "300"}
    )
    assert done.status_code == 302
    with app.app_context():
        account = db.session.get(Account, anne_id)
        assert account.balance == 0 and account.closed_at is not None
        assert services.community_account(territory()).balance == -240 + 300
        assert_invariants(territory())
    assert "Fermé le" in coordinator.get(f"{COORD}/comptes/{anne_id}").get_data(as_text=True)
    assert any("est fermé" in body for body in _mails(app, outbox, "anne@example.org"))


def test_a_write_off_confirmed_on_an_old_balance_asks_again(app, people):
    with app.app_context():
        anne, bruno = _accounts(people)
        anne_id, bruno_id = anne.id, bruno.id
    coordinator = client_for(app, "coord@example.org")
    coordinator.get(f"{COORD}/comptes/{anne_id}/solder")  # sees 2 h
    with app.app_context():
        services.transfer(territory(), db.session.get(Account, anne_id), db.session.get(Account, bruno_id), 60)
        db.session.commit()
    response = coordinator.post(
        f"{COORD}/comptes/{anne_id}/solder", data={"reason": "Départ", "expected_balance": "120"}
    )
    assert response.status_code == 409
    assert "Le solde de 1 h sera versé" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Account, anne_id).closed_at is None


def test_a_manual_credit_through_the_page(app, people):
    with app.app_context():
        anne, _bruno = _accounts(people)
        anne_id = anne.id
    coordinator = client_for(app, "coord@example.org")
    response = coordinator.post(
        f"{COORD}/comptes/{anne_id}/crediter",
        data={"credit-hours": "1", "credit-minutes": "30", "credit-reason": "Permanence du samedi"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Account, anne_id).balance == 210
    over = coordinator.post(
        f"{COORD}/comptes/{anne_id}/crediter",
        data={"credit-hours": "39", "credit-minutes": "0", "credit-reason": "Trop"},
    )
    assert over.status_code == 422  # 39 h is over the maximum per exchange (8 h)
    empty = coordinator.post(f"{COORD}/comptes/{anne_id}/crediter", data={"credit-reason": "Sans durée"})
    assert empty.status_code == 400 and "Indiquez une durée" in empty.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Account, anne_id).balance == 210


def test_a_correction_through_the_page_may_cross_the_floor(app, people):
    with app.app_context():
        anne, bruno = _accounts(people)
        anne_id, bruno_id = anne.id, bruno.id
    response = client_for(app, "coord@example.org").post(
        f"{COORD}/comptes/{anne_id}/corriger",
        data={
            "correction-direction": "out",
            "correction-other_account": str(bruno_id),
            "correction-hours": "15",
            "correction-minutes": "0",
            "correction-reason": "Reprise du cahier papier",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Account, anne_id).balance == 120 - 900  # -13 h: under the floor, explicitly
        assert db.session.get(Account, bruno_id).balance == 120 + 900
        assert_invariants(territory())


def test_the_account_page_pages_the_movements(app, people):
    with app.app_context():
        t = territory()
        anne, bruno = _accounts(people)
        for _ in range(60):
            services.correction(t, bruno, anne, 15, actor=user(people["coord"]), reason="petit ajustement")
        db.session.commit()
        anne_id = anne.id
    coordinator = client_for(app, "coord@example.org")
    first = coordinator.get(f"{COORD}/comptes/{anne_id}").get_data(as_text=True)
    assert "Page 1 sur 2" in first and f"comptes/{anne_id}?page=2" in first
    second = coordinator.get(f"{COORD}/comptes/{anne_id}?page=2").get_data(as_text=True)
    assert "Crédit de bienvenue" in second  # the oldest movement is on the last page


def test_the_hub_counts_what_waits_and_links_to_the_queues(app, people):
    with app.app_context():
        t = territory()
        anne, bruno = _accounts(people)
        anne.childcare_status = "requested"
        services.correction(t, anne, bruno, 30, actor=user(people["coord"]), reason="Ajustement")
        db.session.add(_session(t, anne, bruno, status=Session.DISPUTED))
        db.session.commit()
    page = client_for(app, "coord@example.org").get(f"{COORD}/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "1 membre attend une vérification." in html and f'href="{COORD}/verifications/"' in html
    assert "1 garde contestée attend une décision." in html and f'href="{COORD}/litiges/"' in html
    assert "1 correction par la coordination" in html and "Ajustement" in html
    assert f'href="{COORD}/rapports/"' in html


def test_the_hub_lists_former_members_who_left_hours_behind(app, people):
    from platformcoop.accounts.gdpr import erase_user

    with app.app_context():
        anne, _bruno = _accounts(people)
        erase_user(get_registry(), user(people["anne"]))
        db.session.commit()
        anne_id = anne.id
    html = client_for(app, "coord@example.org").get(f"{COORD}/").get_data(as_text=True)
    assert "Comptes d'anciens membres à solder" in html and f"comptes/{anne_id}" in html and "Ancien membre" in html


def _session(t, parent: Account, caregiver: Account, status: str) -> Session:
    from datetime import timedelta

    from platformcoop.clock import now

    return Session(
        territory_id=t.id,
        parent_account_id=parent.id,
        caregiver_account_id=caregiver.id,
        starts_at=now() - timedelta(days=1),
        ends_at=now() - timedelta(days=1) + timedelta(hours=3),
        status=status,
    )


# -- scenario 9: a plain member gets 403 everywhere -----------------------------------------------------------------


COORDINATION_PAGES = [
    "/coordination/",
    "/coordination/verifications/",
    "/coordination/litiges/",
    "/coordination/rapports/",
    "/coordination/rapports/echanges",
    "/coordination/rapports/gardes",
    "/coordination/rapports/membres.csv",
    "/coordination/rapports/echanges.csv",
    "/coordination/rapports/gardes.csv",
    "/coordination/echanges/{transfer}",
    "/coordination/comptes/{account}",
    "/coordination/comptes/{account}/solder",
]
COORDINATION_ACTIONS = [
    ("/coordination/echanges/{transfer}", {"reason": "je m'annule"}),
    ("/coordination/comptes/{account}/solder", {"reason": "je pars", "expected_balance": "120"}),
    ("/coordination/comptes/{account}/crediter", {"credit-hours": "2", "credit-reason": "cadeau"}),
    (
        "/coordination/comptes/{account}/corriger",
        {"correction-direction": "in", "correction-other_account": "{other}", "correction-hours": "5"},
    ),
]


def _ids(people) -> dict[str, int]:
    anne, bruno = _accounts(people)
    record = services.transfer(territory(), bruno, anne, 60)
    db.session.commit()
    return {"transfer": record.id, "account": anne.id, "other": bruno.id}


@pytest.mark.parametrize("path", COORDINATION_PAGES)
def test_scenario_9_a_plain_member_gets_403_on_every_coordination_page(app, people, path):
    with app.app_context():
        ids = _ids(people)
    response = client_for(app, "anne@example.org").get(BASE + path.format(**ids))
    assert response.status_code == 403


@pytest.mark.parametrize(("path", "data"), COORDINATION_ACTIONS)
def test_scenario_9_a_plain_member_cannot_correct_even_by_posting(app, people, path, data):
    with app.app_context():
        ids = _ids(people)
    posted = {key: value.format(**ids) for key, value in data.items()}
    response = client_for(app, "anne@example.org").post(BASE + path.format(**ids), data=posted)
    assert response.status_code == 403
    with app.app_context():
        assert _transfer_count() == 3
        assert db.session.get(Account, ids["account"]).balance == 180
        assert db.session.get(Account, ids["account"]).closed_at is None


def test_anonymous_visitors_are_sent_to_the_login_page(client, people):
    assert client.get(f"{COORD}/rapports/").status_code == 302


# -- scenario 8: another territory's ids are not found ---------------------------------------------------------------


@pytest.fixture
def lomme_ids(app, lomme, people) -> dict[str, int]:
    louis_id = create_user(app, "louis@example.org", "Louis", lomme=("resident",))
    lea_id = create_user(app, "lea@example.org", "Léa", lomme=("resident",))
    with app.app_context():
        lomme_t = territory("lomme")
        louis = services.open_account(lomme_t, user(louis_id))
        lea = services.open_account(lomme_t, user(lea_id))
        record = services.transfer(lomme_t, louis, lea, 60)
        db.session.commit()
        return {"transfer": record.id, "account": louis.id, "other": lea.id}


@pytest.mark.parametrize("path", [p for p in COORDINATION_PAGES if "{" in p])
def test_scenario_8_a_libercourt_coordinator_opening_a_lomme_id_gets_404(app, people, lomme_ids, path):
    response = client_for(app, "coord@example.org").get(BASE + path.format(**lomme_ids))
    assert response.status_code == 404


@pytest.mark.parametrize(("path", "data"), COORDINATION_ACTIONS)
def test_scenario_8_a_libercourt_coordinator_posting_on_a_lomme_id_gets_404(app, people, lomme_ids, path, data):
    posted = {key: value.format(**lomme_ids) for key, value in data.items()}
    response = client_for(app, "coord@example.org").post(BASE + path.format(**lomme_ids), data=posted)
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Account, lomme_ids["account"]).balance == 60
        assert_invariants(territory("lomme"))


def test_scenario_8_a_correction_towards_a_lomme_account_gets_404(app, people, lomme_ids):
    with app.app_context():
        anne, _bruno = _accounts(people)
        anne_id = anne.id
    response = client_for(app, "coord@example.org").post(
        f"{COORD}/comptes/{anne_id}/corriger",
        data={
            "correction-direction": "in",
            "correction-other_account": str(lomme_ids["account"]),
            "correction-hours": "1",
            "correction-reason": "essai",
        },
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Account, anne_id).balance == 120
        assert_invariants(territory())
        assert_invariants(territory("lomme"))


def test_services_refuse_accounts_of_another_territory(ctx, people, lomme_ids):
    t = territory()
    anne, _bruno = _accounts(people)
    louis = db.session.get(Account, lomme_ids["account"])
    coord = user(people["coord"])
    with pytest.raises(TimebankError):
        services.write_off(t, louis, actor=coord, reason="x")
    with pytest.raises(TimebankError):
        services.manual_credit(t, louis, 60, actor=coord, reason="x")
    with pytest.raises(TimebankError):
        services.correction(t, anne, louis, 60, actor=coord, reason="x")
    db.session.rollback()
    assert_invariants(t)
    assert_invariants(territory("lomme"))


# -- concurrency ----------------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL: SQLite serialises writers, no row locks to test")
def test_a_write_off_racing_transfers_leaves_the_closed_account_at_zero(app, people):
    with app.app_context():
        anne, bruno = _accounts(people)
        anne_id, bruno_id, tid = anne.id, bruno.id, territory().id
        db.session.remove()

    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def act(write_off: bool):
        with app.app_context():
            t = db.session.get(Territory, tid)
            anne, bruno = db.session.get(Account, anne_id), db.session.get(Account, bruno_id)
            barrier.wait()
            try:
                if write_off:
                    services.write_off(t, anne, actor=user(people["coord"]), reason="Départ")
                else:
                    services.transfer(t, bruno, anne, 15)
                db.session.commit()
                outcomes.append("write-off" if write_off else "transfer")
            except TimebankError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=act, args=(index < 2,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("write-off") == 1  # the second write-off finds the account closed and settled
    with app.app_context():
        anne = db.session.get(Account, anne_id)
        assert anne.closed_at is not None and anne.balance == 0  # no transfer slipped in after the write-off
        assert_invariants(db.session.get(Territory, tid))
