"""The audit log page: the territory's entries, newest first, filtered by action, person and date, paginated."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from sqlalchemy import select

from platformcoop import audit
from platformcoop.accounts.models import User
from platformcoop.extensions import db
from platformcoop.tenancy.models import Territory
from tests.conftest import create_user


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def rows(page: str) -> list[tuple[str, str, str]]:
    """(date, person, action) of each line of the journal table."""
    return re.findall(r"<tr>\s*<td><time[^>]*>([^<]+)</time></td>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>", page)


def log(app, territory_id: int, action: str, email: str | None, at: datetime, **details) -> None:
    with app.app_context():
        actor = db.session.scalars(select(User).filter_by(email=email)).one() if email else None
        entry = audit.record(action, actor=actor, territory=db.session.get(Territory, territory_id), **details)
        entry.created_at = at
        db.session.commit()


def clear_log(app) -> None:
    with app.app_context():
        db.session.query(audit.AuditLog).delete()
        db.session.commit()


def setup_entries(app, libercourt, lomme) -> None:
    create_user(app, "alix@example.org", "Alix", libercourt=("resident", "admin"))
    create_user(app, "bao@example.org", "Bao", libercourt=("resident", "moderator"))
    clear_log(app)
    log(app, libercourt, "module.enabled", "alix@example.org", datetime(2026, 1, 5, 9, tzinfo=UTC), module="sample")
    log(app, libercourt, "moderation.hidden", "bao@example.org", datetime(2026, 2, 10, 9, tzinfo=UTC), reason="Spam")
    # 23:30 UTC on 31 March is 01:30 on 1 April in Paris.
    log(app, libercourt, "membership.suspended", "alix@example.org", datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    log(app, lomme, "module.disabled", None, datetime(2026, 3, 1, 9, tzinfo=UTC))


def test_the_journal_lists_the_territorys_actions_newest_first(app, libercourt, lomme, libercourt_admin):
    setup_entries(app, libercourt, lomme)

    page = page_text(libercourt_admin.get("/libercourt/admin/journal"))

    assert rows(page) == [
        ("01/04/2026 01:30", "Alix", "Adhésion suspendue"),
        ("10/02/2026 10:00", "Bao", "Contenu masqué par la modération"),
        ("05/01/2026 10:00", "Alix", "Module activé"),
    ]
    assert "Module désactivé" not in page  # Lomme's
    assert "Spam" in page


def test_filter_by_action(app, libercourt, lomme, libercourt_admin):
    setup_entries(app, libercourt, lomme)

    page = page_text(libercourt_admin.get("/libercourt/admin/journal?action=module.enabled"))

    assert [row[2] for row in rows(page)] == ["Module activé"]
    assert '<option value="module.disabled"' not in page  # only this territory's actions are offered


def test_filter_by_person(app, libercourt, lomme, libercourt_admin):
    setup_entries(app, libercourt, lomme)
    with app.app_context():
        bao = db.session.scalars(select(User.id).filter_by(email="bao@example.org")).one()

    page = page_text(libercourt_admin.get(f"/libercourt/admin/journal?auteur={bao}"))

    assert [row[1] for row in rows(page)] == ["Bao"]


def test_filter_by_dates_in_the_local_calendar(app, libercourt, lomme, libercourt_admin):
    setup_entries(app, libercourt, lomme)

    march = page_text(libercourt_admin.get("/libercourt/admin/journal?debut=2026-03-01&fin=2026-03-31"))
    april = page_text(libercourt_admin.get("/libercourt/admin/journal?debut=2026-04-01"))

    assert rows(march) == []
    assert [row[2] for row in rows(april)] == ["Adhésion suspendue"]


def test_a_wrong_date_is_explained_in_french(app, libercourt, lomme, libercourt_admin):
    setup_entries(app, libercourt, lomme)

    page = page_text(libercourt_admin.get("/libercourt/admin/journal?debut=hier"))

    assert "Indiquez une date valide, par exemple 31/01/2026." in page
    assert len(rows(page)) == 3


def test_the_journal_is_paginated(app, libercourt, libercourt_admin):
    clear_log(app)
    for day in range(1, 29):
        for hour in range(2):
            log(app, libercourt, "module.enabled", None, datetime(2026, 2, day, 8 + hour, tzinfo=UTC))

    first = page_text(libercourt_admin.get("/libercourt/admin/journal"))
    second = page_text(libercourt_admin.get("/libercourt/admin/journal?page=2"))

    assert len(rows(first)) == 50 and rows(first)[0][0] == "28/02/2026 10:00"
    assert len(rows(second)) == 6 and rows(second)[-1][0] == "01/02/2026 09:00"
    assert "Système" in first


def test_admin_actions_are_written_to_the_journal(app, libercourt, libercourt_admin):
    libercourt_admin.post("/libercourt/admin/modules/sample/desactiver")

    page = page_text(libercourt_admin.get("/libercourt/admin/journal"))

    assert rows(page)[0][1:] == ("Admin Libercourt", "Module désactivé")
