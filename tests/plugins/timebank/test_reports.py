"""The coordinators' reports (members, transfers, childcare sessions), their CSV files, and the statistics of the
municipality dashboard. Each report costs the same number of queries for 10 rows as for 200."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from platformcoop import clock
from platformcoop.accounts import services as accounts
from platformcoop.extensions import db
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy import services as territories
from plugins.timebank import services
from plugins.timebank.models import Account, Category, Session
from plugins.timebank.stats import territory_stats
from tests.conftest import PASSWORD, create_user
from tests.plugins.timebank.support import BASE, client_for, count_queries, territory, user

REPORTS = BASE + "/coordination/rapports"
# 10 March 2026, 00:30 in Libercourt (Europe/Paris, UTC+1): still the 9th in UTC
JUST_AFTER_MIDNIGHT = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)


def _category(t, key: str, label: str) -> Category:
    found = db.session.scalar(select(Category).where(Category.territory_id == t.id, Category.key == key))
    if found is None:
        found = Category(territory_id=t.id, key=key, label=label, position=0, active=True)
        db.session.add(found)
        db.session.flush()
    return found


def _accounts(people) -> tuple[Account, Account]:
    t = territory()
    anne = services.open_account(t, user(people["anne"]))
    bruno = services.open_account(t, user(people["bruno"]))
    db.session.commit()
    return anne, bruno


def _session(t, parent: Account, caregiver: Account, status: str, starts_at: datetime, **values) -> Session:
    session = Session(
        territory_id=t.id,
        parent_account_id=parent.id,
        caregiver_account_id=caregiver.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        status=status,
        **values,
    )
    db.session.add(session)
    return session


def _csv_lines(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return [line.split(";") for line in text[1:].split("\r\n") if line]


# -- members --------------------------------------------------------------------------------------------------------


def test_the_members_report_shows_balances_last_exchange_childcare_and_closed_accounts(app, people, frozen_clock):
    with app.app_context():
        t = territory()
        anne, bruno = _accounts(people)
        services.transfer(t, anne, bruno, 210)
        anne.childcare_status = "verified"
        services.write_off(t, services.open_account(t, user(people["coord"])), actor=user(people["coord"]), reason="x")
        db.session.commit()
    coordinator = client_for(app, "coord@example.org")
    html = coordinator.get(REPORTS + "/").get_data(as_text=True)
    assert "Anne" in html and "-1 h 30" in html and "Bruno" in html and "+5 h 30" in html
    assert "Vérifié pour la garde" in html and "10/03/2026" in html and "Fermé le" in html
    assert "Solde du compte commun : -4 h." in html  # three welcome credits, one written back
    assert "Bruno" not in coordinator.get(REPORTS + "/?q=ann").get_data(as_text=True)

    lines = _csv_lines(coordinator.get(REPORTS + "/membres.csv"))
    assert lines[0] == ["Membre", "Solde (heures)", "Solde (minutes)", "Dernier échange", "Garde d'enfants",
                        "Compte fermé le"]  # fmt: skip
    rows = {line[0]: line for line in lines[1:]}
    assert rows["Anne"][1:4] == ["-1,50", "-90", "10/03/2026 10:00"]  # a number a French spreadsheet reads
    assert rows["Bruno"][1:3] == ["5,50", "330"]
    assert rows["Coralie"][5] == "10/03/2026 10:00" and rows["Coralie"][3] == ""


# -- transfers over a period ----------------------------------------------------------------------------------------


def test_the_transfers_report_follows_the_local_calendar_and_the_filters(app, people):
    with app.app_context():
        t = territory()
        anne, bruno = _accounts(people)
        coord = services.open_account(t, user(people["coord"]))
        diy = _category(t, "diy", "Bricolage").id
        childcare = _category(t, "childcare", "Garde d'enfants").id
        with clock.frozen(JUST_AFTER_MIDNIGHT):
            services.transfer(t, anne, bruno, 90, description="Étagère", category_id=diy)
        with clock.frozen(JUST_AFTER_MIDNIGHT - timedelta(hours=1)):  # 9 March, 23:30 in Libercourt
            services.transfer(t, coord, anne, 60, description="Garde du soir", category_id=childcare)
        db.session.commit()
        anne_id, bruno_id = anne.id, bruno.id
    coordinator = client_for(app, "coord@example.org")

    def shown(query: str) -> str:
        response = coordinator.get(f"{REPORTS}/echanges?{query}")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    tenth = shown("debut=2026-03-10&fin=2026-03-10")
    assert "Étagère" in tenth and "Garde du soir" not in tenth and "1 échange." in tenth
    ninth = shown("debut=2026-03-09&fin=2026-03-09")
    assert "Garde du soir" in ninth and "Étagère" not in ninth
    both = "debut=2026-03-09&fin=2026-03-10"
    assert "Garde du soir" not in shown(f"{both}&categorie={diy}")
    assert "Étagère" not in shown(f"{both}&membre={anne_id}&categorie={childcare}")
    assert "Garde du soir" not in shown(f"{both}&membre={bruno_id}")
    assert "Étagère" not in shown(f"{both}&type=welcome")
    wrong = coordinator.get(f"{REPORTS}/echanges?debut=2026-03-10&fin=2026-03-01")
    assert "La date de fin doit suivre la date de début." in wrong.get_data(as_text=True)
    assert coordinator.get(f"{REPORTS}/echanges.csv?debut=2026-03-10&fin=2026-03-01").status_code == 400


def test_reversals_are_shown_and_linked_both_ways(app, people):
    with app.app_context():
        t = territory()
        anne, bruno = _accounts(people)
        wrong = services.transfer(t, anne, bruno, 180, description="Garde de Léa")
        reversal = services.reverse(t, wrong, actor=user(people["coord"]), reason="3 h au lieu de 1 h 30")
        db.session.commit()
        wrong_id, reversal_id = wrong.id, reversal.id
    coordinator = client_for(app, "coord@example.org")
    html = coordinator.get(f"{REPORTS}/echanges").get_data(as_text=True)
    assert f"annulé par le n° {reversal_id}" in html and f"annule le n° {wrong_id}" in html
    assert f'href="{BASE}/coordination/echanges/{reversal_id}"' in html
    lines = _csv_lines(coordinator.get(f"{REPORTS}/echanges.csv"))
    assert lines[0][4:6] == ["Durée (heures)", "Durée (minutes)"]
    rows = {line[0]: line for line in lines[1:]}
    assert rows[str(wrong_id)][4:7] == ["3,00", "180", "Échange"] and rows[str(wrong_id)][10] == str(reversal_id)
    assert rows[str(reversal_id)][6] == "Annulation" and rows[str(reversal_id)][9] == str(wrong_id)
    assert rows[str(reversal_id)][8] == "3 h au lieu de 1 h 30"


def test_the_csv_link_keeps_the_period_and_the_filters(app, people):
    with app.app_context():
        _accounts(people)
    html = client_for(app, "coord@example.org").get(f"{REPORTS}/echanges?type=welcome&page=1").get_data(as_text=True)
    assert "echanges.csv?type=welcome&amp;debut=" in html and "page=1&amp;debut" not in html


# -- childcare sessions ---------------------------------------------------------------------------------------------


def test_the_sessions_report_counts_statuses_late_cancellations_and_minutes(app, people, frozen_clock):
    with app.app_context():
        t = territory()
        anne, bruno = _accounts(people)
        day = frozen_clock - timedelta(days=2)
        _session(t, anne, bruno, Session.CONFIRMED, day, minutes=210)
        _session(t, anne, bruno, Session.SETTLED, day, minutes=180, disputed_at=day)
        _session(t, bruno, anne, Session.CANCELLED, day, late_cancel=True, cancelled_at=day)
        _session(t, bruno, anne, Session.DISPUTED, day, disputed_at=day)
        _session(t, bruno, anne, Session.CONFIRMED, frozen_clock - timedelta(days=60), minutes=60)  # out of period
        db.session.commit()
    coordinator = client_for(app, "coord@example.org")
    html = coordinator.get(f"{REPORTS}/gardes").get_data(as_text=True)
    assert "4 gardes." in html and 'data-testid="late-cancellations">1<' in html and "6 h 30" in html
    late_only = coordinator.get(f"{REPORTS}/gardes?tardives=y").get_data(as_text=True)
    assert "1 garde." in late_only
    assert "1 garde." in coordinator.get(f"{REPORTS}/gardes?statut=disputed").get_data(as_text=True)
    lines = _csv_lines(coordinator.get(f"{REPORTS}/gardes.csv"))
    assert lines[0][-2:] == ["Heures créditées", "Minutes créditées"]
    assert sorted(line[-1] for line in lines[1:]) == ["", "", "180", "210"]
    assert sorted(line[-2] for line in lines[1:]) == ["", "", "3,00", "3,50"]
    assert sorted(line[6] for line in lines[1:]) == ["non", "non", "non", "oui"]


# -- bounded queries ------------------------------------------------------------------------------------------------


def _add_members(count: int) -> None:
    t = territory()
    start = db.session.scalar(select(Account.id).order_by(Account.id.desc()).limit(1)) or 0
    for index in range(count):
        person = accounts.create_user(f"membre{start}-{index}@example.org", PASSWORD, f"Membre {start}-{index}")
        territories.add_member(t, person)
        db.session.add(Account(territory_id=t.id, user_id=person.id, balance=0))  # no welcome credit: quicker
    db.session.commit()


def _add_transfers(people, count: int) -> None:
    t = territory()
    anne, bruno = services.open_account(t, user(people["anne"])), services.open_account(t, user(people["bruno"]))
    diy = _category(t, "diy", "Bricolage").id
    for index in range(count):
        source, destination = (anne, bruno) if index % 2 else (bruno, anne)
        record = services.transfer(t, source, destination, 15, description=f"Service {index}", category_id=diy)
        if index % 5 == 0:
            services.reverse(t, record, actor=user(people["coord"]), reason="erreur")
    db.session.commit()


def _add_sessions(people, count: int) -> None:
    t = territory()
    anne, bruno = services.open_account(t, user(people["anne"])), services.open_account(t, user(people["bruno"]))
    for index in range(count):
        status = (Session.CONFIRMED, Session.CANCELLED, Session.DISPUTED)[index % 3]
        _session(t, anne, bruno, status, clock.now() - timedelta(days=1, minutes=index), minutes=60)
    db.session.commit()


@pytest.mark.parametrize(
    ("path", "add_rows"),
    [
        ("/", lambda people, count: _add_members(count)),
        ("/membres.csv", lambda people, count: _add_members(count)),
        ("/echanges", _add_transfers),
        ("/echanges.csv", _add_transfers),
        ("/gardes", _add_sessions),
        ("/gardes.csv", _add_sessions),
    ],
)
def test_a_report_runs_as_many_queries_for_200_rows_as_for_10(app, people, path, add_rows):
    coordinator = client_for(app, "coord@example.org")
    with app.app_context():
        add_rows(people, 10)
    coordinator.get(REPORTS + path).get_data()  # warm up (first-use caches)

    def queries() -> tuple[int, str]:
        with count_queries(app) as statements:
            response = coordinator.get(REPORTS + path)
            body = response.get_data(as_text=True)
        assert response.status_code == 200
        return len(statements), body

    with_10, _body = queries()
    with app.app_context():
        add_rows(people, 190)
    with_200, body = queries()
    assert with_200 == with_10
    if path.endswith(".csv"):
        assert body.count("\r\n") > 200  # every row is there, not a page


# -- scenario 8: each territory's reports hold only its own ----------------------------------------------------------


def test_scenario_8_the_reports_of_lomme_contain_nothing_of_libercourt(app, people, lomme):
    louis_id = create_user(app, "louis@example.org", "Louis", lomme=("resident", "timebank.coordinator"))
    with app.app_context():
        t = territory()
        anne, bruno = _accounts(people)
        services.transfer(t, anne, bruno, 90, description="Réparation du vélo d'Anne")
        _session(t, anne, bruno, Session.CONFIRMED, clock.now() - timedelta(days=1), minutes=90)
        lomme_t = territory("lomme")
        services.open_account(lomme_t, user(louis_id))
        db.session.commit()
        anne_id = anne.id
    lomme_coordinator = client_for(app, "louis@example.org")
    lomme_reports = "/lomme/banque-de-temps/coordination/rapports"
    for path in ("/", "/membres.csv", "/echanges", "/echanges.csv", "/gardes", "/gardes.csv"):
        response = lomme_coordinator.get(lomme_reports + path)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert "Anne" not in body and "Bruno" not in body and "Réparation du vélo" not in body, path
    # even when asking for a Libercourt account by its id
    response = lomme_coordinator.get(f"{lomme_reports}/echanges?membre={anne_id}")
    assert "Réparation du vélo" not in response.get_data(as_text=True)
    with app.app_context():
        figures = territory_stats(territory("lomme"), clock.now() - timedelta(days=30), clock.now())
        assert all(stat.value == 0 for stat in figures)


# -- statistics -----------------------------------------------------------------------------------------------------


def _stats(t, start=None, end=None) -> dict:
    start = start or clock.now() - timedelta(days=1)
    end = end or clock.now() + timedelta(days=1)
    return {stat.key: stat.value for stat in get_registry().collect(t, "pc_territory_stats", start=start, end=end)}


def test_statistics_count_active_members_hours_per_category_and_the_share_of_childcare(ctx, people):
    t = territory()
    anne, bruno = _accounts(people)
    coord = services.open_account(t, user(people["coord"]))
    childcare = _category(t, "childcare", "Garde d'enfants").id
    diy = _category(t, "diy", "Bricolage").id
    services.transfer(t, anne, bruno, 180, category_id=childcare)
    wrong = services.transfer(t, bruno, anne, 120, category_id=diy)
    services.reverse(t, wrong, actor=user(people["coord"]), reason="erreur")
    services.transfer(t, bruno, anne, 60, category_id=diy)
    services.manual_credit(t, coord, 60, actor=user(people["coord"]), reason="Permanence")  # not an exchange
    db.session.commit()
    stats = _stats(t)
    assert stats["timebank_active_members"] == 2  # Anne and Bruno; the credit from the community does not count
    assert stats["timebank_hours_exchanged"] == 4.0  # 3 h + 2 h - 2 h reversed + 1 h
    assert stats["timebank_hours_childcare"] == 3.0 and stats["timebank_hours_diy"] == 1.0
    assert stats["timebank_childcare_share"] == 75.0


def test_statistics_of_childcare_sessions_and_families_helped(ctx, people, frozen_clock):
    t = territory()
    anne, bruno = _accounts(people)
    coord = services.open_account(t, user(people["coord"]))
    day = frozen_clock - timedelta(hours=5)
    _session(t, anne, bruno, Session.CONFIRMED, day, minutes=180)
    _session(t, anne, bruno, Session.SETTLED, day, minutes=120, disputed_at=day)
    _session(t, coord, bruno, Session.CONFIRMED, day, minutes=60)
    _session(t, bruno, anne, Session.CANCELLED, day, late_cancel=True)
    _session(t, bruno, anne, Session.DISPUTED, day, disputed_at=day)
    _session(t, bruno, coord, Session.CONFIRMED, frozen_clock - timedelta(days=40), minutes=60)  # another month
    db.session.commit()
    stats = _stats(t)
    assert stats["timebank_sessions_completed"] == 3
    assert stats["timebank_sessions_cancelled"] == 1
    assert stats["timebank_sessions_disputed"] == 2  # the one waiting and the one settled
    assert stats["timebank_families_helped"] == 2  # Anne and Coralie


def test_the_dashboard_charts_the_time_bank_per_month(app, people, libercourt_admin):
    with app.app_context():
        t = territory()
        anne, bruno = _accounts(people)
        services.transfer(t, anne, bruno, 90, category_id=_category(t, "diy", "Bricolage").id)
        db.session.commit()
    html = libercourt_admin.get("/libercourt/admin/").get_data(as_text=True)
    assert "Heures échangées : Bricolage" in html and "Membres ayant échangé des heures" in html
    assert "Part de la garde d&#39;enfants dans les heures échangées" in html
    # the key figures are charted month by month, the detailed ones (per category) are for the period only
    series = libercourt_admin.get("/libercourt/admin/series.csv?serie=timebank_hours_exchanged")
    assert series.status_code == 200 and "1,5" in series.get_data(as_text=True)
    assert libercourt_admin.get("/libercourt/admin/series.csv?serie=timebank_hours_diy").status_code == 404
