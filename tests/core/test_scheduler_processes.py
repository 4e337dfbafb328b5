"""Real scheduler processes: one acts, the others wait, and one takes over when the active one dies.

Each process is this module run as a script (``python -m tests.core.test_scheduler_processes``): a test app with the
recorder module, whose job writes one row per territory and run with the process id, every second. The tests wait on
real processes, polling every few hundredths of a second under an overall timeout; they assert who acted, never how
long it took.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from platformcoop.extensions import db
from platformcoop.scheduling.leadership import AdvisoryLock
from tests import sample_plugin
from tests.conftest import create_territory, is_postgres, make_app
from tests.core.test_scheduler import RecorderPlugin, recorded_rows

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60.0  # an upper bound for slow machines, not a timing assertion

needs_postgres = pytest.mark.skipif(not is_postgres(), reason="the advisory lock needs PostgreSQL")


def wait_until(condition, timeout: float = TIMEOUT, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


class SchedulerProcess:
    """``serve_forever`` in a child process, its log in a file."""

    def __init__(self, database_url: str, folder: Path, name: str):
        folder.mkdir()
        self.log = folder / "scheduler.log"
        env = {**os.environ, "PLATFORMCOOP_TEST_DATABASE_URL": database_url}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.core.test_scheduler_processes", database_url, str(folder)],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.name = name

    @property
    def pid(self) -> int:
        return self.process.pid

    def logged(self, fragment: str) -> bool:
        return fragment in self.log.read_text(errors="replace")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=TIMEOUT)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=TIMEOUT)


@pytest.fixture
def recorder(app, tmp_path):
    """An app of the test process with the recorder module, and a territory that uses it."""
    application = make_app(
        tmp_path / "recorder", DATABASE_URL=app.config["DATABASE_URL"], EXTRA_PLUGINS=[sample_plugin, RecorderPlugin]
    )
    create_territory(application, "libercourt", "Libercourt")
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def start_scheduler(app, tmp_path):
    started: list[SchedulerProcess] = []

    def start(name: str) -> SchedulerProcess:
        started.append(SchedulerProcess(app.config["DATABASE_URL"], tmp_path / name, name))
        return started[-1]

    yield start
    for process in started:
        process.kill()


def test_a_scheduler_process_runs_the_jobs_and_stops_cleanly_on_sigterm(recorder, start_scheduler):
    scheduler = start_scheduler("a")

    assert wait_until(lambda: len(recorded_rows(recorder, scheduler.pid)) >= 2), scheduler.log.read_text()
    assert scheduler.stop() == 0
    assert scheduler.logged("Scheduler stopped")


@needs_postgres
def test_only_one_of_two_schedulers_acts_and_the_other_takes_over_when_it_dies(recorder, start_scheduler):
    schedulers = [start_scheduler("first"), start_scheduler("second")]  # started together: either may win

    assert wait_until(lambda: any(recorded_rows(recorder, s.pid) for s in schedulers))
    (active,) = [s for s in schedulers if recorded_rows(recorder, s.pid)]
    (standby,) = [s for s in schedulers if s is not active]
    assert wait_until(lambda: standby.logged("Scheduler on standby")), standby.log.read_text()
    runs_before = len(recorded_rows(recorder, active.pid))
    assert wait_until(lambda: len(recorded_rows(recorder, active.pid)) >= runs_before + 3)
    assert recorded_rows(recorder, standby.pid) == []  # the standby did nothing while the active one lived

    active.kill()  # SIGKILL: no clean-up; PostgreSQL releases the lock when the connection drops
    runs_of_the_dead = len(recorded_rows(recorder, active.pid))

    assert wait_until(lambda: len(recorded_rows(recorder, standby.pid)) >= 2), standby.log.read_text()
    assert standby.logged("Scheduler active")
    assert len(recorded_rows(recorder, active.pid)) == runs_of_the_dead
    assert standby.stop() == 0


@needs_postgres
def test_the_advisory_lock_is_held_by_one_connection_at_a_time(app):
    url = app.config["DATABASE_URL"]
    holder, standby = AdvisoryLock(url), AdvisoryLock(url)
    try:
        assert holder.acquire()
        assert not standby.acquire()
        assert holder.still_held()

        with standby.engine.connect() as admin:  # the holder's connection dies (server restart, network loss…)
            pid = holder.connection.scalar(text("SELECT pg_backend_pid()"))
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

        assert wait_until(standby.acquire)
        assert not holder.still_held()
        assert not holder.acquire()
    finally:
        holder.release()
        standby.release()


def _serve(database_url: str, folder: str) -> None:
    """The child process: a test app with the recorder module, polling every second."""
    from platformcoop.scheduling.process import serve_forever

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(message)s")
    application = make_app(
        Path(folder),
        DATABASE_URL=database_url,
        EXTRA_PLUGINS=[sample_plugin, RecorderPlugin],
        SCHEDULER_POLL_SECONDS=1,
        MAIL_OUTBOX_DIR=str(Path(folder) / "outbox"),
    )
    serve_forever(application)


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2])
