"""Loading objects through their territory, never by id alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from flask import abort, g, has_app_context
from sqlalchemy import Select, event, select
from sqlalchemy.orm import Session

from platformcoop.extensions import db
from platformcoop.tenancy.models import Territory

T = TypeVar("T")


def current_territory() -> Territory | None:
    return g.get("territory") if has_app_context() else None


@contextmanager
def territory_context(territory: Territory) -> Iterator[Territory]:
    """Run CLI commands and scheduler jobs as if inside ``territory`` (scoping and the flush guard apply)."""
    previous = g.get("territory")
    g.territory = territory
    try:
        yield territory
        # Rows created here are checked (flush guard below) while this is still the current territory, not when a
        # later query autoflushes them inside the next territory's context.
        db.session.flush()
    finally:
        g.territory = previous


def scoped_select(model: type[T], territory: Territory) -> Select:
    return select(model).where(model.territory_id == territory.id)


def get_or_404(model: type[T], object_id, territory: Territory | None = None) -> T:
    """The ``model`` row with ``object_id`` in ``territory`` (default: the current one), or 404."""
    territory = territory or current_territory()
    if territory is None:
        abort(404)
    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        abort(404)
    obj = db.session.scalar(scoped_select(model, territory).where(model.id == object_id))
    if obj is None:
        abort(404)
    return obj


class CrossTerritoryWrite(RuntimeError):
    """A new row was about to be written into another territory than the current one."""


@event.listens_for(Session, "before_flush")
def _new_rows_belong_to_current_territory(session, flush_context, instances) -> None:
    """Second line of defence: inside a territory, new module rows must carry that territory's id."""
    territory = current_territory()
    if territory is None or territory.id is None:
        return
    for obj in session.new:
        territory_id = getattr(obj, "territory_id", None)
        if territory_id is not None and territory_id != territory.id:
            raise CrossTerritoryWrite(
                f"{type(obj).__name__} for territory {territory_id} written inside territory {territory.id}"
            )
