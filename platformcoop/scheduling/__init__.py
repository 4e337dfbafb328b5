"""The scheduler: sweep jobs of the core and of the modules, run for every territory using them.

- :mod:`~platformcoop.scheduling.jobs` — the job table and :func:`is_due`, the pure rule deciding when a job runs;
- :mod:`~platformcoop.scheduling.runner` — :func:`run_due_jobs` / :func:`run_job`: one ``now`` per run, one
  transaction per territory, last runs kept in ``scheduler_job_run``;
- :mod:`~platformcoop.scheduling.core_jobs` — the core's jobs (outbox, daily digests, purge);
- :mod:`~platformcoop.scheduling.leadership` — the PostgreSQL advisory lock: one active scheduler among several;
- :mod:`~platformcoop.scheduling.process` — the loop run by ``flask pc scheduler`` or, in development, by a thread
  of the web process.
"""

from __future__ import annotations

from flask import Flask

from platformcoop.scheduling.jobs import EXTENSION_KEY, ScheduledJob, build_job_table, is_due, next_due
from platformcoop.scheduling.runner import JobRun, run_due_jobs, run_job


def init_scheduler(app: Flask) -> None:
    """Build the job table (a bad job spec fails here, at startup) and, in development, start the scheduler."""
    from platformcoop.scheduling import process

    app.extensions[EXTENSION_KEY] = build_job_table(app)
    if process.should_run_in_process(app):
        app.extensions["platformcoop.scheduler.thread"] = process.start_in_background(app)


__all__ = ["JobRun", "ScheduledJob", "init_scheduler", "is_due", "next_due", "run_due_jobs", "run_job"]
