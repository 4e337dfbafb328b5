"""Only one scheduler acts at a time: a PostgreSQL session-level advisory lock.

Every scheduler process tries ``pg_try_advisory_lock`` on a connection of its own, kept open (autocommit, outside the
application's pool). The one that gets it runs the jobs; the others are standbys and try again every
``SCHEDULER_POLL_SECONDS``. PostgreSQL releases the lock when the holder's connection closes — the process exited,
was killed, or its host vanished (then after the server's TCP keepalive) — and a standby takes over. The holder checks
its connection at the same pace and steps down when it is lost.

SQLite serves one machine in development: there is no lock and the scheduler always acts.
"""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

log = logging.getLogger("platformcoop.scheduling")

# One number for "the PlatformCoop scheduler" (advisory locks are per database, so deployments never collide).
LOCK_KEY = 0x504C_4154_434F_4F50  # "PLATCOOP", a positive bigint


class NoLock:
    """SQLite: a single scheduler, always in charge."""

    def acquire(self) -> bool:
        return True

    def still_held(self) -> bool:
        return True

    def release(self) -> None:
        pass


class AdvisoryLock:
    """The PostgreSQL advisory lock, held on a dedicated connection for as long as this process leads."""

    def __init__(self, database_url: str, key: int = LOCK_KEY):
        self.key = key
        self.engine: Engine = create_engine(database_url, poolclass=NullPool)
        self.connection: Connection | None = None

    def acquire(self) -> bool:
        """Take the lock if it is free; ``False`` (no error) when another process holds it or the database is away."""
        try:
            if self.connection is None:
                self.connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            held = self.connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
        except Exception as error:
            log.warning("Scheduler lock: database unreachable (%s)", error)
            self._drop_connection()
            return False
        return bool(held)

    def still_held(self) -> bool:
        """Whether our connection, hence the lock, is still alive."""
        if self.connection is None:
            return False
        try:
            self.connection.scalar(text("SELECT 1"))
        except Exception as error:
            log.error("Scheduler lock: connection lost (%s); stepping down", error)
            self._drop_connection()
            return False
        return True

    def release(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # when the connection is gone, the lock went with it
                self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self._drop_connection()
        self.engine.dispose()

    def _drop_connection(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                self.connection.close()
            self.connection = None


def leadership_lock(database_url: str) -> NoLock | AdvisoryLock:
    if database_url.startswith("postgresql"):
        return AdvisoryLock(database_url)
    return NoLock()
