"""Two administrators acting at the same moment, from real threads against PostgreSQL (its row locks are tested)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from platformcoop.accounts.models import User
from platformcoop.admin.services import AdminError, set_roles, suspend_membership
from platformcoop.extensions import db
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy.models import Membership, Territory
from tests.conftest import create_user, is_postgres

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not is_postgres(), reason="row locks under real concurrency: PostgreSQL only"),
]


def at_once(app, actions) -> list[str]:
    """Run each ``action(territory)`` in its own thread and transaction, released together by a barrier."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []

    def run(action) -> None:
        with app.test_request_context("/libercourt/"):
            territory = db.session.scalars(select(Territory).filter_by(slug="libercourt")).one()
            prepared = action(territory)
            barrier.wait()
            try:
                prepared()
                db.session.commit()
                outcomes.append("done")
            except AdminError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def demote(actor_email: str, target_email: str):
    def prepare(territory):
        actor = db.session.scalars(select(User).filter_by(email=actor_email)).one()
        target = db.session.scalars(select(User).filter_by(email=target_email)).one()
        membership = db.session.scalars(select(Membership).filter_by(user_id=target.id)).one()
        return lambda: set_roles(get_registry(), territory, membership, ["resident"], actor)

    return prepare


def suspend(actor_email: str, target_email: str):
    def prepare(territory):
        actor = db.session.scalars(select(User).filter_by(email=actor_email)).one()
        target = db.session.scalars(select(User).filter_by(email=target_email)).one()
        membership = db.session.scalars(select(Membership).filter_by(user_id=target.id)).one()
        return lambda: suspend_membership(territory, membership, actor, "Coup d'État")

    return prepare


def active_admins(app, territory_id: int) -> int:
    with app.app_context():
        memberships = db.session.scalars(select(Membership).filter_by(territory_id=territory_id, status="active"))
        return sum("admin" in m.roles for m in memberships)


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app, libercourt):
    create_user(app, "alix@example.org", libercourt=("resident", "admin"))
    create_user(app, "bao@example.org", libercourt=("resident", "admin"))

    outcomes = at_once(
        app, [demote("alix@example.org", "bao@example.org"), demote("bao@example.org", "alix@example.org")]
    )

    assert outcomes == ["done", "refused"]
    assert active_admins(app, libercourt) == 1


def test_two_admins_suspending_each_other_at_once_leave_one_admin(app, libercourt):
    create_user(app, "alix@example.org", libercourt=("resident", "admin"))
    create_user(app, "bao@example.org", libercourt=("resident", "admin"))

    outcomes = at_once(
        app, [suspend("alix@example.org", "bao@example.org"), suspend("bao@example.org", "alix@example.org")]
    )

    assert outcomes == ["done", "refused"]
    assert active_admins(app, libercourt) == 1
