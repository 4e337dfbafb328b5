"""``flask pc scheduler``: the scheduler process (production), or one pass over the due jobs (``--once``)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from platformcoop import clock


@click.command("scheduler")
@with_appcontext
@click.option("--once", is_flag=True, help="Run the jobs that are due now, then exit (no lock, no waiting).")
@click.option("--list", "list_jobs", is_flag=True, help="List the jobs, their last run and whether they are due.")
def scheduler_command(once: bool, list_jobs: bool):
    """Run the scheduler in the foreground until stopped (SIGTERM, Ctrl-C).

    Start one on each of several machines if you like: with PostgreSQL only one acts at a time, the others take over
    when it stops.
    """
    app = current_app._get_current_object()
    if list_jobs:
        _print_jobs(app)
    elif once:
        from platformcoop.scheduling.runner import run_due_jobs

        for run in run_due_jobs(app, clock.now()):
            outcome = f"échecs : {', '.join(run.failed)}" if run.failed else "ok"
            click.echo(f"{run.job_id}\t{len(run.succeeded) + len(run.failed)} exécution(s)\t{outcome}")
    else:
        from platformcoop.scheduling.process import serve_forever

        serve_forever(app)


def _print_jobs(app) -> None:
    from platformcoop.scheduling.jobs import is_due, job_table, next_due
    from platformcoop.scheduling.runner import last_run_times

    now = clock.now()
    last_runs = last_run_times(app)
    for job in job_table(app).values():
        last = last_runs.get(job.id)
        upcoming = next_due(job.trigger, last)
        upcoming = "maintenant" if is_due(job.trigger, last, now) else upcoming.isoformat() if upcoming else "jamais"
        click.echo(
            f"{job.id}\t{job.module or 'core'}\t{job.trigger}\t"
            f"dernière : {last.isoformat() if last else 'jamais'}\tprochaine : {upcoming}"
        )
