"""The childcare sweep, run by the scheduler every 15 minutes, with a controlled clock: reminders (each sent once),
requests left unanswered, and the parent's deadline (auto-confirm or expire)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from platformcoop.extensions import db
from platformcoop.notifications.models import Notification
from platformcoop.notifications.outbox import deliver_due
from platformcoop.scheduling import run_job
from plugins.timebank import services
from plugins.timebank.models import Account
from tests.plugins.timebank.support import assert_invariants, territory
from tests.plugins.timebank.test_childcare import (
    ANNE,
    BRUNO,
    CORALIE,
    MONDAY,
    SATURDAY,
    accepted,
    at,
    balances,
    book,
    childcare_transfers,
    declared,
    family,
    only_session,
    paris,
    set_settings,
)

JOB = "timebank.sessions"


def sweep(app, instant: datetime) -> None:
    """One run of the scheduled job at ``instant`` (committed per territory), then the e-mails it queued are sent."""
    with at(instant):
        run = run_job(app, JOB, instant)
        assert run.failed == [] and "libercourt" in run.succeeded
        with app.app_context():
            deliver_due(instant)


def subjects(outbox, address: str) -> list[str]:
    return [message["Subject"] for message in outbox.to(address)]


def reminders_of(person_id: int) -> int:
    return len(
        db.session.scalars(
            select(Notification).where(Notification.user_id == person_id, Notification.kind == "timebank.reminder")
        ).all()
    )


def test_both_parties_are_reminded_the_day_before_once(app, people, outbox):
    with app.app_context(), at(MONDAY):
        accepted(family(people))
        start = paris(SATURDAY, 14)

    sweep(app, start - timedelta(hours=25))
    assert not any(s.startswith("Rappel") for s in subjects(outbox, ANNE) + subjects(outbox, BRUNO))
    sweep(app, start - timedelta(hours=23, minutes=45))
    sweep(app, start - timedelta(hours=23, minutes=30))

    for address in (ANNE, BRUNO):
        assert subjects(outbox, address).count("Rappel : garde d'enfants le 14/03/2026 14:00") == 1
    body = outbox.body(next(m for m in outbox.to(BRUNO) if m["Subject"].startswith("Rappel")))
    assert "vous gardez les enfants de Anne le samedi 14 mars 2026, de 14:00 à 17:30" in body
    with app.app_context():
        assert only_session().reminded_before_at == start - timedelta(hours=23, minutes=45)
        assert (reminders_of(people["anne"]), reminders_of(people["bruno"])) == (1, 1)


def test_a_session_accepted_less_than_a_day_before_gets_no_separate_reminder(app, people, outbox):
    with app.app_context():
        friday = paris(SATURDAY, 15) - timedelta(days=1)  # 23 h before the start
        with at(friday):
            ids = family(people)
            accepted(ids, start=(14, 0), end=(17, 0))
    sweep(app, friday + timedelta(minutes=15))
    assert not any(s.startswith("Rappel") for s in subjects(outbox, ANNE))


def test_the_caregiver_is_reminded_to_declare_after_the_end_once(app, people, outbox):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        accepted(ids)
        end = paris(SATURDAY, 17, 30)

    sweep(app, end - timedelta(minutes=1))
    sweep(app, end + timedelta(minutes=14))
    sweep(app, end + timedelta(minutes=29))

    assert subjects(outbox, BRUNO).count("Déclarez les heures de la garde du 14/03/2026") == 1
    assert not any(s.startswith("Déclarez") for s in subjects(outbox, ANNE))


def test_without_an_answer_the_parent_is_reminded_then_the_hours_are_confirmed_automatically(app, people, outbox):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        declared_at = paris(SATURDAY, 18)
        declared(ids)  # 3 h 30, declared on Saturday at 18:00; 7 days to answer by default
    deadline = declared_at + timedelta(days=7)

    sweep(app, deadline - timedelta(days=1, minutes=1))
    assert not any(s.startswith("Rappel : confirmez") for s in subjects(outbox, ANNE))
    sweep(app, deadline - timedelta(days=1) + timedelta(minutes=10))
    [reminder] = [m for m in outbox.to(ANNE) if m["Subject"].startswith("Rappel : confirmez")]
    assert "avant le 21/03/2026 18:00" in outbox.body(reminder)
    assert "les heures seront confirmées automatiquement" in outbox.body(reminder)
    with app.app_context():
        assert only_session().status == "declared"

    sweep(app, deadline + timedelta(minutes=10))
    sweep(app, deadline + timedelta(minutes=25))

    with app.app_context():
        session = only_session()
        assert (session.status, session.auto_confirmed) == ("confirmed", True)
        [transfer] = childcare_transfers()
        assert (transfer.minutes, transfer.from_account_id, transfer.to_account_id) == (210, ids["anne"], ids["bruno"])
        assert session.transfer_id == transfer.id
        assert balances(ids["anne"], ids["bruno"]) == (-90, 330)
        assert_invariants(territory())
    for address in (ANNE, BRUNO):
        assert subjects(outbox, address).count("Heures de garde confirmées automatiquement (14/03/2026)") == 1


def test_with_the_expire_policy_an_unanswered_session_expires_without_transfer(app, people, outbox):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        set_settings(unanswered_policy="expire", session_answer_days=2)
        declared(ids)
        deadline = paris(SATURDAY, 18) + timedelta(days=2)

    sweep(app, deadline - timedelta(days=1) + timedelta(minutes=5))
    sweep(app, deadline + timedelta(minutes=10))

    with app.app_context():
        assert only_session().status == "expired"
        assert childcare_transfers() == []
        assert balances(ids["anne"], ids["bruno"]) == (120, 120)
    assert "la garde expirera sans transfert" in outbox.body(
        next(m for m in outbox.to(ANNE) if m["Subject"].startswith("Rappel : confirmez"))
    )
    for address in (ANNE, BRUNO):
        assert subjects(outbox, address).count("Garde d'enfants expirée sans confirmation (14/03/2026)") == 1


def test_an_auto_confirmation_refused_by_a_limit_goes_to_the_coordinators(app, people, outbox):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        declared(ids)
        t = territory()
        anne = db.session.get(Account, ids["anne"])
        services.transfer(t, anne, db.session.get(Account, ids["coord"]), 480)
        services.transfer(t, anne, db.session.get(Account, ids["coord"]), 180)  # Anne at -9 h: 3 h 30 is too much
        db.session.commit()
        deadline = paris(SATURDAY, 18) + timedelta(days=7)

    sweep(app, deadline - timedelta(days=1) + timedelta(minutes=5))
    sweep(app, deadline + timedelta(minutes=10))

    with app.app_context():
        session = only_session()
        assert session.status == "disputed" and session.transfer_id is None and not session.auto_confirmed
        assert "Confirmation automatique impossible" in session.dispute_reason
        assert "Solde insuffisant" in session.dispute_reason
        assert childcare_transfers()[-1].to_account_id == ids["coord"]  # no childcare transfer
        assert balances(ids["anne"], ids["bruno"]) == (-540, 120)
        assert_invariants(territory())
    assert any("contestée" in s for s in subjects(outbox, CORALIE))


def test_a_missed_run_still_gives_the_parent_a_day_after_the_reminder(app, people, outbox):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        declared(ids)
        late_run = paris(SATURDAY, 18) + timedelta(days=8)  # the scheduler was down for days

    sweep(app, late_run)
    with app.app_context():
        assert only_session().status == "declared"
    assert any(s.startswith("Rappel : confirmez") for s in subjects(outbox, ANNE))

    sweep(app, late_run + timedelta(days=1, minutes=15))
    with app.app_context():
        assert only_session().status == "confirmed"
        assert balances(ids["anne"], ids["bruno"]) == (-90, 330)


def test_a_request_left_unanswered_is_cancelled_at_its_start_and_not_as_late(app, people, outbox):
    with app.app_context(), at(MONDAY):
        ids = family(people)
        book(ids)
        start = paris(SATURDAY, 14)

    sweep(app, start - timedelta(minutes=5))
    with app.app_context():
        assert only_session().status == "requested"
    sweep(app, start + timedelta(minutes=10))
    sweep(app, start + timedelta(minutes=25))

    with app.app_context():
        session = only_session()
        assert (session.status, session.late_cancel, session.cancelled_by_id) == ("cancelled", False, None)
    for address in (ANNE, BRUNO):
        assert subjects(outbox, address).count("Demande de garde sans réponse (14/03/2026)") == 1
