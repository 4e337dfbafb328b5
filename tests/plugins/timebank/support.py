"""Helpers shared by the time bank's tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from platformcoop.extensions import db
from platformcoop.tenancy.models import Territory
from plugins.timebank import services
from plugins.timebank.models import Account, Movement
from tests.conftest import login

BASE = "/libercourt/banque-de-temps"


def territory(slug="libercourt") -> Territory:
    return db.session.query(Territory).filter_by(slug=slug).one()


def user(user_id):
    from platformcoop.accounts.models import User

    return db.session.get(User, user_id)


def assert_invariants(t: Territory) -> None:
    """The ledger's invariants: the territory sums to zero, every stored balance is the sum of its movements, every
    transfer has exactly two movements that cancel out."""
    db.session.expire_all()
    assert services.movements_sum(t) == 0
    for account in db.session.scalars(select(Account).where(Account.territory_id == t.id)):
        assert account.balance == services.movements_sum(t, account)
    per_transfer = db.session.execute(
        select(Movement.transfer_id, func.sum(Movement.minutes), func.count())
        .where(Movement.territory_id == t.id)
        .group_by(Movement.transfer_id)
    ).all()
    assert all(total == 0 and count == 2 for _id, total, count in per_transfer)


@contextmanager
def count_queries(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block (``len(statements)`` is the query count).

    The host-name map that the WSGI middleware re-reads once a minute (whatever the page) is left out: a slow run
    crossing that minute would otherwise count one more query for reasons that have nothing to do with the rows."""
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if "territory_host" not in statement:
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def client_for(app: Flask, email_address: str) -> FlaskClient:
    """A test client logged in as ``email_address``."""
    client = app.test_client()
    response = login(client, email_address)
    assert response.status_code in (302, 303), response.status_code
    return client
