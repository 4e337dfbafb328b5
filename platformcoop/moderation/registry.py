"""Which models residents may report, and how to name and link one of their objects.

A module declares its reportable models once, next to the models, like SQLAlchemy's own class registry::

    register_reportable(
        Listing,
        title_attr="title",
        url_func=lambda listing: url_for("exchange.listing", listing_id=listing.id),
        module="exchange",
    )

This is a description of classes, not per-app state: it says nothing about which territory uses the module. A report
is accepted only where the module is enabled (``module``), for an object of the current territory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reportable:
    model: type
    title_attr: str
    url_func: Callable[[Any], str]
    module: str = ""  # "" for core models

    @property
    def type_name(self) -> str:
        return subject_type_of(self.model)

    def title(self, obj) -> str:
        return str(getattr(obj, self.title_attr, "") or "")[:300]

    def url(self, obj) -> str:
        return (self.url_func(obj) or "")[:500]


_REPORTABLES: dict[str, Reportable] = {}


def subject_type_of(model_or_obj) -> str:
    """The stable name of a reportable model: its table name (module tables are prefixed, so it is unique)."""
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    return model.__tablename__


def register_reportable(model: type, title_attr: str, url_func: Callable[[Any], str], module: str = "") -> Reportable:
    """Let members report objects of ``model`` (which must have ``id`` and ``territory_id``)."""
    if not hasattr(model, "territory_id"):
        raise TypeError(f"{model.__name__} has no territory_id: only territory objects can be reported")
    reportable = Reportable(model, title_attr, url_func, module)
    _REPORTABLES[reportable.type_name] = reportable
    return reportable


def unregister_reportable(model: type) -> None:
    _REPORTABLES.pop(subject_type_of(model), None)


def get_reportable(subject_type: str) -> Reportable | None:
    return _REPORTABLES.get(subject_type)


def reportable_for(obj) -> Reportable | None:
    return _REPORTABLES.get(subject_type_of(obj)) if hasattr(type(obj), "__tablename__") else None
