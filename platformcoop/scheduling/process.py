"""The scheduler as a running thing: leadership, then APScheduler firing the jobs, until told to stop.

Production runs :func:`serve_forever` as its own process (``flask pc scheduler``), as many as wanted for availability:
one acts, the others wait (:mod:`platformcoop.scheduling.leadership`). In development :func:`start_in_background`
runs the same loop in a thread of the web process (``SCHEDULER_IN_PROCESS``).

When a process becomes the active one it first runs, once, every job that is due (a downtime is caught up), then
lets APScheduler fire each job on its trigger. A fired job runs only if it is still due according to the runs
recorded in the database, so a job another scheduler ran just before a takeover does not run twice.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import UTC

import click
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from flask.helpers import get_debug_flag

from platformcoop import clock
from platformcoop.scheduling.jobs import job_table
from platformcoop.scheduling.leadership import leadership_lock
from platformcoop.scheduling.runner import run_due_jobs

log = logging.getLogger("platformcoop.scheduling")


def run_scheduler(app: Flask, stop: threading.Event) -> None:
    """Block until ``stop`` is set: wait to lead, run the jobs while leading, step down if the lock is lost."""
    poll = app.config["SCHEDULER_POLL_SECONDS"]
    lock = leadership_lock(app.config["DATABASE_URL"])
    standby_logged = False
    try:
        while not stop.is_set():
            if not lock.acquire():
                if not standby_logged:
                    log.info("Scheduler on standby: another scheduler is active (pid %s)", os.getpid())
                    standby_logged = True
                stop.wait(poll)
                continue
            standby_logged = False
            log.info("Scheduler active (pid %s)", os.getpid())
            try:
                _lead(app, lock, stop, poll)
            except Exception:  # e.g. the database went away: keep the process, try again
                log.exception("Scheduler error; starting again in %s s", poll)
                stop.wait(poll)
    finally:
        lock.release()


def _lead(app: Flask, lock, stop: threading.Event, poll: int) -> None:
    run_due_jobs(app, clock.now())  # catch up what was missed while no scheduler was active
    scheduler = BackgroundScheduler(
        timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
    )
    for job in job_table(app).values():
        scheduler.add_job(_fire, trigger=job.trigger, args=(app, job.id), id=job.id, name=job.id)
    scheduler.start()
    try:
        while not stop.wait(poll):
            if not lock.still_held():
                return
    finally:
        scheduler.shutdown(wait=True)


def _fire(app: Flask, job_id: str) -> None:
    """What APScheduler calls: the job runs with the platform clock's now, if it is still due."""
    run_due_jobs(app, clock.now(), job_ids=[job_id])


def serve_forever(app: Flask) -> None:
    """``flask pc scheduler``: run in the foreground until SIGTERM or Ctrl-C."""
    if not logging.getLogger().handlers:  # a bare `flask pc scheduler`: say what happens, on stderr
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s")
        logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not one line per job and minute
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        run_scheduler(app, stop)
    except KeyboardInterrupt:
        stop.set()
    log.info("Scheduler stopped (pid %s)", os.getpid())


# -- inside the web process (development) ----------------------------------------------------------------------------


def should_run_in_process(app: Flask) -> bool:
    """``SCHEDULER_IN_PROCESS``: true, false, or unset for "under ``flask run`` only".

    Never inside another CLI command (``flask db``, ``flask pc scheduler`` itself…), never in tests unless the
    configuration asks, and never in the Werkzeug reloader's watching parent: only in the child that serves
    (``WERKZEUG_RUN_MAIN == "true"``) or when there is no reloader.
    """
    ctx = click.get_current_context(silent=True)
    command = ctx.info_name if ctx is not None else None
    if command is not None and command != "run":
        return False
    wanted = app.config["SCHEDULER_IN_PROCESS"]
    if wanted is None:
        wanted = command == "run" and not app.testing
    if not wanted:
        return False
    return not _is_reloader_parent(ctx)


def _is_reloader_parent(ctx: click.Context | None) -> bool:
    if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        return False
    if ctx is None or ctx.info_name != "run":
        return False
    reload = ctx.params.get("reload")
    return bool(get_debug_flag() if reload is None else reload)


class SchedulerThread:
    """The scheduler running in a daemon thread of the web process (development)."""

    def __init__(self, app: Flask):
        self.stop_event = threading.Event()
        self.thread = threading.Thread(
            target=run_scheduler, args=(app, self.stop_event), name="platformcoop-scheduler", daemon=True
        )

    def stop(self, timeout: float = 60) -> None:
        """Stop firing jobs and wait for the running ones to finish."""
        self.stop_event.set()
        self.thread.join(timeout)


def start_in_background(app: Flask) -> SchedulerThread:
    background = SchedulerThread(app)
    background.thread.start()
    return background
