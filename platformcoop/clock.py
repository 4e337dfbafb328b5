"""One source of "now" for the whole platform, so that tests can drive time without sleeping.

Every rule that depends on time (link expiry, reminders, deadlines) calls :func:`now`. Tests use :func:`frozen`
or :func:`travel` to move the clock; production simply reads the system time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)
_frozen_at: datetime | None = None


def now() -> datetime:
    """The current instant, timezone-aware in UTC."""
    if _frozen_at is not None:
        return _frozen_at
    return datetime.now(UTC) + _offset


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Stop the clock at ``at`` (aware) for the duration of the block."""
    global _frozen_at
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    previous, _frozen_at = _frozen_at, at.astimezone(UTC)
    try:
        yield
    finally:
        _frozen_at = previous


@contextmanager
def travel(delta: timedelta) -> Iterator[None]:
    """Shift the clock by ``delta`` (it keeps running) for the duration of the block."""
    global _offset, _frozen_at
    previous = (_offset, _frozen_at)
    if _frozen_at is not None:
        _frozen_at = _frozen_at + delta
    else:
        _offset = _offset + delta
    try:
        yield
    finally:
        _offset, _frozen_at = previous
