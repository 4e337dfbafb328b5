"""The scheduler: when a job is due, how a run goes through the territories, the core's jobs, and where it runs.

Time is driven with ``platformcoop.clock`` and :func:`run_due_jobs` / :func:`run_job` are called directly, as the
scheduler process does when APScheduler fires. The real processes (advisory lock, takeover) are in
``test_scheduler_processes.py``.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import click
import pytest
from sqlalchemy import func, select

from platformcoop import clock
from platformcoop.extensions import db
from platformcoop.notifications.models import Notification, OutboxMessage
from platformcoop.plugins import JobSpec, ModuleManifest, hookimpl
from platformcoop.plugins.manager import PluginError, get_registry
from platformcoop.scheduling import is_due, next_due, run_due_jobs, run_job
from platformcoop.scheduling.jobs import job_table, make_trigger
from platformcoop.scheduling.models import JobRunState
from platformcoop.scheduling.process import should_run_in_process, start_in_background
from platformcoop.tenancy import services as territories
from platformcoop.tenancy.models import Territory
from tests import sample_plugin
from tests.conftest import create_territory, create_user, make_app
from tests.sample_plugin import SampleItem

PARIS = ZoneInfo("Europe/Paris")

# -- a module whose job leaves a trace: one SampleItem per territory and run ------------------------------------------

FAIL_IN: set[str] = set()  # territory slugs where the recorder's job breaks after writing
SEEN_NOW: list[datetime] = []


def record_run(territory, now):
    """The recorder's sweep: write a row in the territory, then break where the test asks it to."""
    SEEN_NOW.append(now)
    db.session.add(SampleItem(territory_id=territory.id, title=f"relevé {os.getpid()} {now.isoformat()}"))
    if territory.slug in FAIL_IN:
        raise RuntimeError("panne simulée")


class RecorderPlugin:
    """A module with one sweep job, run every second (only the process tests let the wall clock fire it)."""

    manifest = ModuleManifest(name="recorder", label="Relevé", label_en="Recorder", segment="releve")

    @staticmethod
    @hookimpl
    def pc_module_manifest():
        return RecorderPlugin.manifest

    @staticmethod
    @hookimpl
    def pc_scheduled_jobs():
        return [JobSpec(id="recorder.record", function=record_run, trigger_args={"seconds": 1})]


def recorded_rows(app, pid: int | None = None) -> list[str]:
    with app.app_context():
        titles = db.session.scalars(select(SampleItem.title).where(SampleItem.title.like("relevé %"))).all()
        db.session.remove()
    return [title for title in titles if pid is None or title.startswith(f"relevé {pid} ")]


@pytest.fixture
def variant(app, tmp_path):
    """Extra apps sharing the session app's database (and schema), with other plugins or settings."""
    built = []

    def build(**overrides):
        instance = tmp_path / f"variant{len(built)}"
        instance.mkdir()
        overrides.setdefault("DATABASE_URL", app.config["DATABASE_URL"])
        application = make_app(instance, **overrides)
        built.append(application)
        return application

    yield build
    for application in built:
        stop = application.extensions.get("platformcoop.scheduler.thread")
        if stop is not None:
            stop.stop()
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def recorder_app(variant):
    FAIL_IN.clear()
    SEEN_NOW.clear()
    yield variant(EXTRA_PLUGINS=[sample_plugin, RecorderPlugin])
    FAIL_IN.clear()


def switch_off(app, territory_id: int, module: str) -> None:
    with app.app_context():
        territories.disable_module(get_registry(), db.session.get(Territory, territory_id), module)
        db.session.commit()


def last_run_at(app, job_id: str) -> datetime | None:
    with app.app_context():
        state = db.session.get(JobRunState, job_id)
        return state.last_run_at if state else None


def at(hour: int, minute: int = 0, second: int = 0, day: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


# -- when is a job due (pure) -----------------------------------------------------------------------------------------


def test_a_job_that_never_ran_is_due_at_once():
    trigger = make_trigger("cron", {"hour": 7}, "Europe/Paris")

    assert is_due(trigger, None, at(15, 12))


def test_an_interval_job_is_due_on_a_fixed_grid_not_relative_to_its_last_run():
    every_five_minutes = make_trigger("interval", {"minutes": 5}, "Europe/Paris")
    last_run = at(9, 0, 1)

    assert next_due(every_five_minutes, last_run) == at(9, 5)
    assert not is_due(every_five_minutes, last_run, at(9, 4, 59))
    assert is_due(every_five_minutes, last_run, at(9, 5))


def test_a_job_that_ran_exactly_on_its_instant_waits_for_the_next_one():
    every_minute = make_trigger("interval", {"minutes": 1}, "Europe/Paris")

    assert next_due(every_minute, at(9, 0)) == at(9, 1)
    assert not is_due(every_minute, at(9, 0), at(9, 0, 59))


def test_missed_runs_after_a_downtime_catch_up_once():
    daily_at_seven = make_trigger("cron", {"hour": 7, "minute": 0}, "Europe/Paris")
    monday_morning = datetime(2026, 3, 9, 7, 0, tzinfo=PARIS)
    thursday_ten = datetime(2026, 3, 12, 10, 0, tzinfo=PARIS)  # three missed mornings

    assert is_due(daily_at_seven, monday_morning, thursday_ten)
    # the catch-up run records Thursday 10:00: the next run is Friday morning, not another missed one
    assert not is_due(daily_at_seven, thursday_ten, thursday_ten + timedelta(hours=5))
    assert next_due(daily_at_seven, thursday_ten) == datetime(2026, 3, 13, 7, 0, tzinfo=PARIS)


def test_cron_jobs_follow_local_time_across_the_spring_dst_change():
    daily_at_seven = make_trigger("cron", {"hour": 7, "minute": 0}, "Europe/Paris")

    # 29 March 2026: clocks go from 02:00 to 03:00 in Paris; 07:00 local is 05:00 UTC instead of 06:00
    saturday = datetime(2026, 3, 28, 7, 0, tzinfo=PARIS)
    assert next_due(daily_at_seven, saturday) == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)


def test_an_unknown_trigger_is_refused():
    with pytest.raises(ValueError, match="unknown trigger"):
        make_trigger("date", {"run_date": at(9)}, "Europe/Paris")


# -- the job table ----------------------------------------------------------------------------------------------------


def test_the_job_table_holds_the_core_jobs_and_the_modules_jobs(app):
    jobs = job_table(app)

    assert {"core.outbox", "core.daily_digests", "core.purge"} <= set(jobs)
    assert jobs["core.outbox"].module is None
    assert jobs["sample.count"].module == "sample"


def test_a_module_job_with_bad_trigger_arguments_fails_at_startup(variant):
    class BrokenPlugin:
        @staticmethod
        @hookimpl
        def pc_module_manifest():
            return ModuleManifest(name="broken", label="Cassé", label_en="Broken", segment="casse")

        @staticmethod
        @hookimpl
        def pc_scheduled_jobs():
            return [JobSpec(id="broken.sweep", function=record_run, trigger="cron", trigger_args={"hour": 25})]

    with pytest.raises(PluginError, match=r"broken\.sweep"):
        variant(EXTRA_PLUGINS=[sample_plugin, BrokenPlugin])


def test_two_jobs_with_the_same_id_are_refused_at_startup(variant):
    class Impostor:
        @staticmethod
        @hookimpl
        def pc_module_manifest():
            return ModuleManifest(name="impostor", label="Imposteur", label_en="Impostor", segment="imposteur")

        @staticmethod
        @hookimpl
        def pc_scheduled_jobs():
            return [JobSpec(id="sample.count", function=record_run)]

    with pytest.raises(PluginError, match=r"sample\.count"):
        variant(EXTRA_PLUGINS=[sample_plugin, Impostor])


# -- running module jobs ----------------------------------------------------------------------------------------------


def test_a_module_job_runs_for_each_territory_using_the_module_only(app, libercourt, lomme, frozen_clock):
    switch_off(app, lomme, "sample")
    sample_plugin.calls.clear()

    run = run_job(app, "sample.count", clock.now())

    assert run.succeeded == ["libercourt"]
    assert sample_plugin.calls == [("job", "libercourt")]


def test_due_jobs_run_once_per_instant_as_the_clock_moves(app, libercourt):
    def runs_at(moment: datetime) -> list[str]:
        sample_plugin.calls.clear()
        with clock.frozen(moment):
            run_due_jobs(app, clock.now(), job_ids=["sample.count"])  # every 5 minutes
        return [slug for hook, slug in sample_plugin.calls if hook == "job"]

    assert runs_at(at(9, 0, 2)) == ["libercourt"]  # never ran: at once
    assert runs_at(at(9, 3)) == []
    assert runs_at(at(9, 5, 1)) == ["libercourt"]
    assert runs_at(at(9, 5, 40)) == []
    assert runs_at(at(12, 47)) == ["libercourt"]  # down for hours: one run, not 36
    assert runs_at(at(12, 48)) == []
    assert runs_at(at(12, 50)) == ["libercourt"]
    assert last_run_at(app, "sample.count") == at(12, 50)


def test_every_territory_of_a_run_gets_the_same_now(recorder_app):
    for slug in ("libercourt", "lomme", "wattrelos"):
        create_territory(recorder_app, slug, slug.title())
    moment = at(10, 30, 15)

    run_job(recorder_app, "recorder.record", moment)

    assert SEEN_NOW == [moment] * 3  # noqa: SIM300


def test_a_failing_territory_is_rolled_back_and_logged_and_the_others_are_committed(recorder_app, caplog):
    for slug in ("libercourt", "lomme", "wattrelos"):
        create_territory(recorder_app, slug, slug.title())
    FAIL_IN.add("lomme")

    run = run_job(recorder_app, "recorder.record", at(10))

    assert (run.succeeded, run.failed) == (["libercourt", "wattrelos"], ["lomme"])
    with recorder_app.app_context():
        rows = db.session.execute(select(Territory.slug, func.count()).join(SampleItem).group_by(Territory.slug))
        assert dict(rows.all()) == {"libercourt": 1, "wattrelos": 1}
    assert "recorder.record failed in territory lomme" in caplog.text
    assert "panne simulée" in caplog.text


def test_a_failed_run_is_recorded_and_the_job_runs_again_at_its_next_instant(recorder_app):
    create_territory(recorder_app, "lomme", "Lomme")
    FAIL_IN.add("lomme")
    run_job(recorder_app, "recorder.record", at(10))
    FAIL_IN.clear()

    with recorder_app.app_context():
        state = db.session.get(JobRunState, "recorder.record")
        assert (state.last_run_at, state.last_failures) == (at(10), 1)
    assert [run.job_id for run in run_due_jobs(recorder_app, at(10, 0, 1), ["recorder.record"])] == ["recorder.record"]
    assert len(recorded_rows(recorder_app)) == 1


def test_a_job_writing_into_another_territory_is_stopped_by_the_flush_guard(app, libercourt, lomme, variant, caplog):
    def trespass(territory, now):
        other = lomme if territory.id == libercourt else libercourt
        db.session.add(SampleItem(territory_id=other, title="intrus"))

    class Trespasser:
        @staticmethod
        @hookimpl
        def pc_module_manifest():
            return ModuleManifest(name="trespasser", label="Intrus", label_en="Trespasser", segment="intrus")

        @staticmethod
        @hookimpl
        def pc_scheduled_jobs():
            return [JobSpec(id="trespasser.sweep", function=trespass)]

    trespassing_app = variant(EXTRA_PLUGINS=[sample_plugin, Trespasser])
    with trespassing_app.app_context():
        for territory in db.session.scalars(select(Territory)):
            territories.enable_module(get_registry(), territory, "trespasser")
        db.session.commit()

    run = run_job(trespassing_app, "trespasser.sweep", at(10))

    assert run.failed == ["libercourt", "lomme"]
    assert "CrossTerritoryWrite" in caplog.text
    with app.app_context():
        assert db.session.scalars(select(SampleItem)).all() == []


# -- the core's jobs --------------------------------------------------------------------------------------------------


def test_the_outbox_job_sends_the_queued_e_mails(app, ctx, outbox, frozen_clock):
    from platformcoop.notifications.mail import send_email

    send_email("camille@example.org", "Au revoir", "account_erased", name="Camille")
    db.session.commit()
    assert outbox.to("camille@example.org") == []

    run = run_job(app, "core.outbox", clock.now())

    assert run.failed == []
    assert [m["Subject"] for m in outbox.to("camille@example.org")] == ["Au revoir"]
    assert db.session.scalars(select(OutboxMessage.status)).all() == ["sent"]


def test_the_outbox_job_runs_every_minute(app):
    trigger = job_table(app)["core.outbox"].trigger

    assert next_due(trigger, at(9, 0, 3)) == at(9, 1)


def test_the_daily_digest_job_sends_one_e_mail_with_the_days_notifications(app, ctx, libercourt, outbox):
    from platformcoop.accounts.models import User
    from platformcoop.notifications import notify
    from platformcoop.notifications.models import NotificationPreference

    user_id = create_user(app, "camille@example.org", "Camille", libercourt=("resident",))
    user = db.session.get(User, user_id)
    territory = db.session.get(Territory, libercourt)
    db.session.add(NotificationPreference(user_id=user_id, kind="sample.created", email=True, daily_digest=True))
    with clock.frozen(datetime(2026, 3, 10, 14, 0, tzinfo=PARIS)):
        for title in ("Un escabeau est proposé", "Une perceuse est proposée"):
            notify(user, "sample.created", territory, title=title, email_template="account_erased", name="Camille")
        db.session.commit()
    assert outbox.to("camille@example.org") == []

    with clock.frozen(datetime(2026, 3, 11, 7, 0, tzinfo=PARIS)):
        digests = run_job(app, "core.daily_digests", clock.now())  # queues the digest…
        run_job(app, "core.outbox", clock.now())  # …which the outbox job delivers

    assert digests.failed == []
    (digest,) = outbox.to("camille@example.org")
    body = outbox.body(digest)
    assert "Un escabeau est proposé" in body
    assert "Une perceuse est proposée" in body


def test_the_daily_digest_job_runs_each_morning_in_the_deployments_timezone(app):
    trigger = job_table(app)["core.daily_digests"].trigger
    evening = datetime(2026, 3, 10, 20, 0, tzinfo=PARIS)

    assert app.config["DAILY_DIGEST_HOUR"] == 7
    assert not is_due(trigger, evening, datetime(2026, 3, 11, 6, 59, tzinfo=PARIS))
    assert is_due(trigger, evening, datetime(2026, 3, 11, 7, 0, tzinfo=PARIS))


def add_notification(user_id: int, created: datetime, read: datetime | None) -> None:
    db.session.add(Notification(user_id=user_id, kind="sample.created", title="t", created_at=created, read_at=read))


def add_outbox_message(status: str, sent: datetime | None) -> None:
    from platformcoop.notifications.models import OutboxAttachment

    message = OutboxMessage(
        recipient="camille@example.org",
        subject=f"{status} {sent}",
        text_body="Bonjour",
        message_id=f"<{status}-{sent}@test>",
        status=status,
        sent_at=sent,
        created_at=sent or at(9),
        next_attempt_at=at(9),
    )
    message.attachments = [OutboxAttachment(filename="rdv.ics", mimetype="text/calendar", content=b"BEGIN")]
    db.session.add(message)


def test_the_purge_deletes_old_read_notifications_and_old_sent_e_mails_only(app, ctx):
    from platformcoop.notifications.models import OutboxAttachment

    user_id = create_user(app, "camille@example.org", "Camille")
    today = datetime(2026, 6, 10, 3, 30, tzinfo=PARIS)
    long_ago, lately = today - timedelta(days=91), today - timedelta(days=10)
    add_notification(user_id, created=long_ago, read=long_ago)  # purged
    add_notification(user_id, created=long_ago, read=None)  # unread: kept
    add_notification(user_id, created=lately, read=lately)  # recent: kept
    add_outbox_message("sent", today - timedelta(days=31))  # purged, with its attachment
    add_outbox_message("sent", today - timedelta(days=29))
    add_outbox_message("failed", None)
    add_outbox_message("queued", None)
    db.session.commit()

    run = run_job(app, "core.purge", today)

    assert run.failed == []
    db.session.expire_all()
    notifications = db.session.execute(select(Notification.created_at, Notification.read_at)).all()
    assert sorted(notifications, key=str) == sorted([(long_ago, None), (lately, lately)], key=str)
    statuses = db.session.execute(select(OutboxMessage.status, OutboxMessage.sent_at)).all()
    assert sorted(statuses, key=str) == sorted(
        [("sent", today - timedelta(days=29)), ("failed", None), ("queued", None)], key=str
    )
    assert db.session.scalar(select(func.count()).select_from(OutboxAttachment)) == 3


def test_the_retention_periods_come_from_the_configuration(variant, app):
    short = variant(NOTIFICATION_RETENTION_DAYS=7, OUTBOX_RETENTION_DAYS=1)
    user_id = create_user(app, "camille@example.org", "Camille")
    today = datetime(2026, 6, 10, 3, 30, tzinfo=UTC)
    with app.app_context():
        add_notification(user_id, created=today - timedelta(days=8), read=today - timedelta(days=8))
        add_outbox_message("sent", today - timedelta(days=2))
        db.session.commit()

    run_job(short, "core.purge", today)

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


# -- the command line -------------------------------------------------------------------------------------------------


def test_flask_pc_scheduler_once_runs_the_due_jobs_and_reports_them(app, libercourt, frozen_clock):
    result = app.test_cli_runner().invoke(args=["pc", "scheduler", "--once"])

    assert result.exit_code == 0, result.output
    assert "sample.count\t1 exécution(s)\tok" in result.output
    assert ("job", "libercourt") in sample_plugin.calls
    assert last_run_at(app, "sample.count") == frozen_clock


def test_flask_pc_scheduler_list_shows_the_last_and_next_runs(app, libercourt, frozen_clock):
    run_job(app, "sample.count", frozen_clock)

    result = app.test_cli_runner().invoke(args=["pc", "scheduler", "--list"])

    assert result.exit_code == 0, result.output
    lines = {line.split("\t")[0]: line for line in result.output.splitlines()}
    assert "dernière : 2026-03-10T09:00:00+00:00\tprochaine : 2026-03-10T09:05:00+00:00" in lines["sample.count"]
    assert "dernière : jamais\tprochaine : maintenant" in lines["core.purge"]


def test_flask_pc_scheduler_runs_the_scheduler_process(app, monkeypatch):
    from platformcoop.scheduling import process

    served = []
    monkeypatch.setattr(process, "serve_forever", served.append)

    result = app.test_cli_runner().invoke(args=["pc", "scheduler"])

    assert result.exit_code == 0, result.output
    assert served == [app]


# -- where the scheduler runs -----------------------------------------------------------------------------------------


def command_context(name: str, **params) -> click.Context:
    ctx = click.Context(click.Command(name), info_name=name)
    ctx.params.update(params)
    return ctx


def test_the_test_apps_do_not_start_a_scheduler(app):
    assert app.config["SCHEDULER_IN_PROCESS"] is None
    assert not should_run_in_process(app)
    assert "platformcoop.scheduler.thread" not in app.extensions


def test_flask_run_starts_the_scheduler_in_the_serving_process_only(variant, monkeypatch):
    development = variant(TESTING=False)
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)

    with command_context("run", reload=False):
        assert should_run_in_process(development)  # no reloader: this process serves
    with command_context("run", reload=True):
        assert not should_run_in_process(development)  # the reloader's watching parent
        monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
        assert should_run_in_process(development)  # the child that serves


def test_flask_run_in_debug_mode_reloads_so_only_the_child_runs_the_scheduler(variant, monkeypatch):
    development = variant(TESTING=False)
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    monkeypatch.setenv("FLASK_DEBUG", "1")

    with command_context("run", reload=None):
        assert not should_run_in_process(development)


def test_other_commands_never_start_the_scheduler_even_when_asked(variant):
    always = variant(SCHEDULER_IN_PROCESS=True)

    for command in ("flask", "db", "pc"):  # e.g. `flask db upgrade`, `flask pc scheduler`
        with command_context(command):
            assert not should_run_in_process(always)


def test_a_web_process_runs_the_scheduler_when_configured_to(variant):
    assert should_run_in_process(variant(SCHEDULER_IN_PROCESS=True))  # e.g. under gunicorn, no CLI context
    assert not should_run_in_process(variant(SCHEDULER_IN_PROCESS=False, TESTING=False))


def wait_until(condition, timeout: float = 20.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def test_the_in_process_scheduler_runs_the_jobs_in_a_background_thread(variant):
    web = variant(EXTRA_PLUGINS=[sample_plugin, RecorderPlugin], SCHEDULER_POLL_SECONDS=1)
    create_territory(web, "libercourt", "Libercourt")

    background = start_in_background(web)
    try:
        assert background.thread.name == "platformcoop-scheduler"
        # the recorder runs every second, by the wall clock: wait (bounded) for two runs
        assert wait_until(lambda: len(recorded_rows(web, os.getpid())) >= 2)
    finally:
        background.stop()
    assert not background.thread.is_alive()
