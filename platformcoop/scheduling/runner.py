"""Running jobs: one ``now`` per run, one transaction per territory, the last run remembered in the database.

The scheduler process calls :func:`run_due_jobs` when APScheduler fires a job; tests call it (or :func:`run_job`)
directly with a frozen clock. Both open their own app contexts, hence their own database sessions (Flask-SQLAlchemy
scopes sessions by app context): a caller's session is never committed or rolled back by a job.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from platformcoop import clock
from platformcoop.extensions import db
from platformcoop.scheduling.jobs import ScheduledJob, is_due, job_table
from platformcoop.scheduling.models import JobRunState
from platformcoop.tenancy import territory_context
from platformcoop.tenancy.models import Territory, TerritoryModule

log = logging.getLogger("platformcoop.scheduling")


@dataclass
class JobRun:
    """What one run of a job did: the territories (slugs) it ran for, and where it failed ("*": a core job)."""

    job_id: str
    now: datetime
    succeeded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def run_due_jobs(app: Flask, now: datetime, job_ids: Iterable[str] | None = None) -> list[JobRun]:
    """Run every job (or those of ``job_ids``) that is due at ``now``, each once."""
    jobs = job_table(app)
    wanted = list(jobs) if job_ids is None else list(job_ids)
    last_runs = last_run_times(app)
    return [run_job(app, job_id, now) for job_id in wanted if is_due(jobs[job_id].trigger, last_runs.get(job_id), now)]


def run_job(app: Flask, job_id: str, now: datetime) -> JobRun:
    """Run one job now, due or not, and record ``now`` as its last run."""
    job = job_table(app)[job_id]
    run = JobRun(job_id, now)
    if job.per_territory:
        for territory_id in territories_using(app, job.module):
            _run_in_territory(app, job, territory_id, now, run)
    else:
        _run_for_deployment(app, job, now, run)
    _record_run(app, run)
    return run


def territories_using(app: Flask, module: str) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(TerritoryModule.territory_id)
                .where(TerritoryModule.module == module, TerritoryModule.enabled.is_(True))
                .order_by(TerritoryModule.territory_id)
            )
        )


def _run_in_territory(app: Flask, job: ScheduledJob, territory_id: int, now: datetime, run: JobRun) -> None:
    """One territory, one transaction: committed when the job returns, rolled back and logged when it raises."""
    with app.app_context():
        territory = db.session.get(Territory, territory_id)
        if territory is None:  # deleted since the list was read
            return
        slug = territory.slug
        try:
            with territory_context(territory):
                job.function(territory, now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("Scheduled job %s failed in territory %s; going on with the next territory", job.id, slug)
            run.failed.append(slug)
        else:
            run.succeeded.append(slug)


def _run_for_deployment(app: Flask, job: ScheduledJob, now: datetime, run: JobRun) -> None:
    with app.app_context():
        try:
            job.function(now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("Scheduled job %s failed", job.id)
            run.failed.append("*")
        else:
            run.succeeded.append("*")


def last_run_times(app: Flask) -> dict[str, datetime]:
    with app.app_context():
        return {row.job_id: row.last_run_at for row in db.session.scalars(select(JobRunState))}


def _record_run(app: Flask, run: JobRun) -> None:
    with app.app_context():
        try:
            state = db.session.get(JobRunState, run.job_id) or JobRunState(job_id=run.job_id)
            state.last_run_at = run.now
            state.last_finished_at = clock.now()
            state.last_failures = len(run.failed)
            db.session.add(state)
            db.session.commit()
        except IntegrityError:  # another scheduler without a lock (SQLite dev) recorded it first
            db.session.rollback()
