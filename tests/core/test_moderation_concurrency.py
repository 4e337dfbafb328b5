"""Reports arriving at the same moment, from real threads against PostgreSQL (its row locks are what is tested)."""

from __future__ import annotations

import threading

import pytest
from flask import g, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from platformcoop.accounts.models import User
from platformcoop.audit import AuditLog
from platformcoop.extensions import db
from platformcoop.moderation import register_reportable, unregister_reportable
from platformcoop.moderation.models import ModeratedContent, Report
from platformcoop.moderation.services import AlreadyReported, report_content
from platformcoop.notifications.models import Notification
from platformcoop.tenancy.models import Territory
from tests.conftest import create_user, is_postgres
from tests.sample_plugin import SampleItem

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not is_postgres(), reason="row locks under real concurrency: PostgreSQL only"),
]


@pytest.fixture(autouse=True)
def reportable_sample_items():
    register_reportable(
        SampleItem, title_attr="title", url_func=lambda item: url_for("sample.item", item_id=item.id), module="sample"
    )
    yield
    unregister_reportable(SampleItem)


@pytest.fixture
def item(app, libercourt) -> int:
    with app.app_context():
        obj = SampleItem(territory_id=libercourt, title="Vélo à donner")
        db.session.add(obj)
        db.session.commit()
        return obj.id


def report_at_once(app, reporter_ids: list[int], item_id: int) -> list[str]:
    """Every reporter reports ``item_id`` in its own thread and transaction, released together by a barrier."""
    barrier = threading.Barrier(len(reporter_ids))
    outcomes: list[str] = []

    def run(user_id: int) -> None:
        with app.test_request_context("/libercourt/"):
            g.territory = db.session.scalars(select(Territory).filter_by(slug="libercourt")).one()
            reporter = db.session.get(User, user_id)
            obj = db.session.get(SampleItem, item_id)
            barrier.wait()
            try:
                report_content(g.territory, reporter, obj, "spam")
                db.session.commit()
                outcomes.append("reported")
            except (AlreadyReported, IntegrityError):
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(user_id,)) for user_id in reporter_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def test_six_members_reporting_at_the_same_moment_hide_the_content_exactly_once(app, item):
    moderator = create_user(app, "modo@libercourt.example.org", libercourt=("resident", "moderator"))
    reporters = [create_user(app, f"voisin{n}@example.org", libercourt=("resident",)) for n in range(6)]

    outcomes = report_at_once(app, reporters, item)

    assert outcomes == ["reported"] * 6
    with app.app_context():
        [content] = db.session.scalars(select(ModeratedContent)).all()
        assert (content.hidden, content.auto) == (True, True)
        assert db.session.scalar(select(func.count()).select_from(Report)) == 6
        hidings = db.session.scalars(select(AuditLog).filter_by(action="moderation.auto_hidden")).all()
        assert [entry.details["reporters"] for entry in hidings] == [3]
        told = db.session.scalars(select(Notification.title).filter_by(user_id=moderator)).all()
        assert len(told) == 2  # the first report, then the automatic hiding


def test_a_double_click_records_one_report(app, item):
    reporter = create_user(app, "camille@example.org", libercourt=("resident",))

    outcomes = report_at_once(app, [reporter, reporter], item)

    assert outcomes == ["refused", "reported"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 1
        assert db.session.scalar(select(func.count()).select_from(ModeratedContent)) == 1
