"""The job table: the core's jobs and every loaded module's ``pc_scheduled_jobs``, with their triggers.

A job is a **sweep**: it looks in the database for due work and marks what it did, so running it twice does no harm
and one run after a downtime catches up. Whether a job is due depends only on its trigger, its last run and now
(:func:`is_due`, a pure function), which is what lets the tests drive time with ``platformcoop.clock``.

- A module's job runs as ``function(territory, now)`` once for each territory that has the module enabled.
- A core job (:mod:`platformcoop.scheduling.core_jobs`) runs once for the whole deployment as ``function(now)``.

Triggers are APScheduler 3 triggers. ``interval`` triggers are anchored at a fixed instant (:data:`INTERVAL_ANCHOR`),
so "every 5 minutes" means at :00, :05, :10… whichever process computes it; ``cron`` triggers are read in the
deployment's ``DEFAULT_TIMEZONE`` unless their ``trigger_args`` name a ``timezone``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from platformcoop.plugins.manager import PluginError, get_registry
from platformcoop.plugins.manifest import JobSpec

INTERVAL_ANCHOR = datetime(2020, 1, 1, tzinfo=UTC)
TRIGGERS = ("interval", "cron")
EXTENSION_KEY = "platformcoop.scheduler.jobs"


@dataclass(frozen=True)
class ScheduledJob:
    id: str
    function: Callable[..., Any]
    trigger: BaseTrigger
    module: str | None = None  # None: a core job, run once for the deployment

    @property
    def per_territory(self) -> bool:
        return self.module is not None


def make_trigger(trigger: str, trigger_args: dict[str, Any], default_timezone: str) -> BaseTrigger:
    """Build the APScheduler trigger of a job spec; ``ValueError`` when it is not a valid sweep trigger."""
    args = dict(trigger_args)
    if trigger == "interval":
        args.setdefault("start_date", INTERVAL_ANCHOR)
        args.setdefault("timezone", UTC)
        return IntervalTrigger(**args)
    if trigger == "cron":
        args.setdefault("timezone", default_timezone)
        return CronTrigger(**args)
    raise ValueError(f"unknown trigger {trigger!r} (expected one of {', '.join(TRIGGERS)})")


def next_due(trigger: BaseTrigger, last_run: datetime | None) -> datetime | None:
    """The first scheduled instant strictly after ``last_run``; ``None`` when the trigger has ended.

    A job that never ran is due at once (its trigger's first instant is unknown, and a sweep does no harm).
    """
    if last_run is None:
        return datetime.min.replace(tzinfo=UTC)
    return trigger.get_next_fire_time(None, last_run + timedelta(microseconds=1))


def is_due(trigger: BaseTrigger, last_run: datetime | None, now: datetime) -> bool:
    """Whether a job should run at ``now``: a scheduled instant has passed since ``last_run``.

    However many instants were missed (the scheduler was down for hours), the answer is one run; the run records
    ``now`` as its last run, so the next one waits for the next instant after it.
    """
    due = next_due(trigger, last_run)
    return due is not None and due <= now


def build_job_table(app: Flask) -> dict[str, ScheduledJob]:
    """Every job of this app, by id: the core's, then each loaded module's. Bad specs fail here, at startup."""
    from platformcoop.scheduling.core_jobs import core_job_specs

    timezone = app.config["DEFAULT_TIMEZONE"]
    table: dict[str, ScheduledJob] = {}

    def add(spec: JobSpec, module: str | None) -> None:
        owner = f"module {module}" if module else "the core"
        if not isinstance(spec, JobSpec):
            raise PluginError(f"{owner} returned a scheduled job that is not a JobSpec: {spec!r}")
        if spec.id in table:
            raise PluginError(f"two scheduled jobs have the id {spec.id!r}")
        try:
            trigger = make_trigger(spec.trigger, spec.trigger_args, timezone)
        except (TypeError, ValueError) as error:
            raise PluginError(f"scheduled job {spec.id!r} of {owner}: {error}")
        table[spec.id] = ScheduledJob(spec.id, spec.function, trigger, module)

    for spec in core_job_specs(app):
        add(spec, None)
    registry = get_registry(app)
    module_of = {id(module.plugin): name for name, module in registry.modules.items()}
    for impl in registry.pm.hook.pc_scheduled_jobs.get_hookimpls():
        if any(impl.plugin is core for core in registry.core_plugins):
            module = None  # the core's own hook implementations: deployment-wide jobs
        elif id(impl.plugin) in module_of:
            module = module_of[id(impl.plugin)]
        else:
            raise PluginError(f"plugin {impl.plugin_name} declares scheduled jobs but no module manifest")
        for spec in impl.function() or ():
            add(spec, module)
    return table


def job_table(app: Flask) -> dict[str, ScheduledJob]:
    """The job table built by ``init_scheduler``."""
    return app.extensions[EXTENSION_KEY]
