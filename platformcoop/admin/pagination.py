"""Pages of a list: two queries (the count, then one page of rows), whatever the length of the list."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any

from flask import request
from sqlalchemy import Select, func, select

from platformcoop.extensions import db

PER_PAGE = 50


@dataclass
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.number * self.per_page, self.total)


def requested_page() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def paginate(statement: Select, page: int, per_page: int = PER_PAGE, scalars: bool = True) -> Page:
    """One page of ``statement`` (ordered by the caller); a page past the end shows the last one."""
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    number = min(page, max(1, ceil(total / per_page)))
    limited = statement.limit(per_page).offset((number - 1) * per_page)
    result = db.session.execute(limited)
    items = list(result.scalars()) if scalars else list(result)
    return Page(items=items, number=number, per_page=per_page, total=total)


def page_args(number: int) -> dict[str, Any]:
    """The current query string with another page number, for the pager's links."""
    args = request.args.to_dict()
    args["page"] = number
    return args
