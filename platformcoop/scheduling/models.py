"""What the scheduler remembers between runs and across restarts: when each job last ran."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from platformcoop.db_types import UTCDateTime
from platformcoop.extensions import db


class JobRunState(db.Model):
    """The last run of one job (core or module), whatever scheduler process ran it.

    ``last_run_at`` is the ``now`` the run was given, so the next run is due at the first scheduled instant after it:
    after a downtime a job runs once, not once per missed slot.
    """

    __tablename__ = "scheduler_job_run"

    job_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failures: Mapped[int] = mapped_column(default=0)
