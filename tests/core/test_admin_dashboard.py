"""The administration dashboard: figures of a chosen period, monthly charts drawn on the server, CSV exports.

The clock is frozen on Tuesday 10 March 2026, 10:00 in Paris (09:00 UTC).
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from platformcoop.extensions import db
from platformcoop.tenancy.models import Membership
from tests.conftest import create_user
from tests.sample_plugin import SampleItem


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def joined_at(app, email: str, at: datetime) -> None:
    """A Libercourt member accepted at ``at``."""
    user_id = create_user(app, email, libercourt=("resident",))
    with app.app_context():
        membership = db.session.scalars(select(Membership).filter_by(user_id=user_id)).one()
        membership.decided_at = at
        db.session.commit()


def figure(page: str, label: str) -> str:
    match = re.search(rf"<dt>{re.escape(label)}</dt><dd>([^<]*)</dd>", page)
    assert match, f"no figure {label!r}"
    return match.group(1).strip()


def read_csv(response) -> list[list[str]]:
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff"), "Excel needs the byte-order mark to read UTF-8"
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


@pytest.fixture
def members(app, libercourt, frozen_clock) -> None:
    joined_at(app, "ancienne@example.org", datetime(2025, 1, 15, 12, tzinfo=UTC))  # before the twelve months
    joined_at(app, "avril@example.org", datetime(2025, 4, 2, 12, tzinfo=UTC))
    # 23:30 UTC on 28 February is 00:30 on 1 March in Paris: a March member.
    joined_at(app, "minuit@example.org", datetime(2026, 2, 28, 23, 30, tzinfo=UTC))
    joined_at(app, "mars@example.org", datetime(2026, 3, 5, 9, tzinfo=UTC))


# -- the period ---------------------------------------------------------------------------------------------------


def test_the_dashboard_shows_the_last_30_days_by_default(app, libercourt_admin, members):
    page = page_text(libercourt_admin.get("/libercourt/admin/"))

    assert "Chiffres du 9 février 2026 au 10 mars 2026" in page
    assert re.search(r'<input id="debut" name="debut" [^>]*type="date" value="2026-02-09"', page)
    assert figure(page, "Nouveaux membres sur la période") == "2"
    assert figure(page, "Membres actifs") == "5"  # and the administrator, created before the clock was frozen


def test_the_administrator_chooses_the_period(app, libercourt_admin, members):
    page = page_text(libercourt_admin.get("/libercourt/admin/?debut=2025-04-01&fin=2025-04-30"))

    assert "Chiffres du 1 avril 2025 au 30 avril 2025" in page
    assert figure(page, "Nouveaux membres sur la période") == "1"


def test_the_period_follows_the_local_calendar(app, libercourt_admin, members):
    february = page_text(libercourt_admin.get("/libercourt/admin/?debut=2026-02-01&fin=2026-02-28"))
    march_first = page_text(libercourt_admin.get("/libercourt/admin/?debut=01/03/2026&fin=01/03/2026"))

    assert figure(february, "Nouveaux membres sur la période") == "0"
    assert figure(march_first, "Nouveaux membres sur la période") == "1"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("debut=2026-13-01&fin=2026-03-10", "Indiquez une date valide, par exemple 31/01/2026."),
        ("debut=2026-03-10&fin=2026-03-01", "La date de fin doit suivre la date de début."),
        ("debut=&fin=2026-03-01", "Indiquez la date de début."),
        ("debut=2020-01-01&fin=2026-03-01", "Choisissez une période de trois ans au plus."),
    ],
)
def test_a_wrong_period_is_explained_in_french_next_to_the_field(app, libercourt_admin, members, query, message):
    page = page_text(libercourt_admin.get(f"/libercourt/admin/?{query}"))

    assert message in page
    assert 'class="field__error"' in page
    assert "Chiffres du 9 février 2026 au 10 mars 2026" in page  # the figures stay those of the default period


# -- the charts ---------------------------------------------------------------------------------------------------


def test_new_members_per_month_are_drawn_and_tabulated(app, libercourt_admin, members):
    page = page_text(libercourt_admin.get("/libercourt/admin/"))

    chart = re.search(r'<svg class="chart"[^>]*>(.*?)</svg>', page, re.S)
    assert chart and 'role="img"' in chart.group(0)
    assert '<title id="graphique-membres-titre">Nouveaux membres par mois</title>' in chart.group(1)
    assert chart.group(1).count('<rect class="chart__bar"') == 12
    found = re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td></tr>', page)
    rows = {month: (new, total) for month, new, total in found}
    assert [month for month, _new, _total in found][::11] == ["avril 2025", "mars 2026"]
    assert rows["avril 2025"] == ("1", "2")
    assert rows["février 2026"] == ("0", "2")
    assert rows["mars 2026"] == ("2", "4")  # the member of 00:30 on 1 March (Paris time) counts in March


def test_each_module_figure_gets_a_monthly_chart(app, libercourt, libercourt_admin, frozen_clock):
    with app.app_context():
        db.session.add_all([SampleItem(territory_id=libercourt, title=f"Objet {n}") for n in range(3)])
        db.session.commit()

    page = page_text(libercourt_admin.get("/libercourt/admin/"))

    assert "Objets d'exemple — Module d'exemple" in page
    # members, the sample's figure, the three figures the time bank marks for a chart (active members, hours
    # exchanged, sessions completed) and the three of bike repair (appointments requested, done, cancelled); their
    # other figures are for the period only
    assert page.count('<svg class="chart"') == 8
    assert "Voir les chiffres de « Objets d'exemple » en tableau" in page


# -- CSV exports --------------------------------------------------------------------------------------------------


def test_the_figures_of_the_period_download_as_a_french_csv(app, libercourt_admin, members):
    response = libercourt_admin.get("/libercourt/admin/chiffres.csv?debut=2026-02-09&fin=2026-03-10")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == ["Module", "Indicateur", "Valeur", "Unité", "Du", "Au"]
    assert ["Plateforme", "Nouveaux membres sur la période", "2", "", "09/02/2026", "10/03/2026"] in rows
    assert response.get_data().count(b"\r\n") == len(rows)


def test_the_monthly_members_series_downloads_as_csv(app, libercourt_admin, members):
    rows = read_csv(libercourt_admin.get("/libercourt/admin/series.csv?serie=membres"))

    assert rows[0] == ["Mois", "Nouveaux membres", "Membres à la fin du mois"]
    assert len(rows) == 13
    assert rows[1] == ["2025-04", "1", "2"]
    assert rows[-1] == ["2026-03", "2", "4"]


def test_a_module_series_downloads_as_csv_and_an_unknown_one_is_404(app, libercourt, libercourt_admin, frozen_clock):
    rows = read_csv(libercourt_admin.get("/libercourt/admin/series.csv?serie=sample_items"))

    assert rows[0] == ["Mois", "Objets d'exemple (Module d'exemple)"]
    assert len(rows) == 13
    assert libercourt_admin.get("/libercourt/admin/series.csv?serie=inconnue").status_code == 404


def test_exports_of_one_territory_hold_nothing_of_another(app, libercourt_admin, lomme, members, frozen_clock):
    with app.app_context():
        db.session.add(SampleItem(territory_id=lomme, title="Objet de Lomme"))
        db.session.commit()
    create_user(app, "lommois@example.org", lomme=("resident",))

    figures = read_csv(libercourt_admin.get("/libercourt/admin/chiffres.csv?debut=2026-02-09&fin=2026-03-10"))
    series = read_csv(libercourt_admin.get("/libercourt/admin/series.csv?serie=sample_items"))

    assert ["Module d'exemple", "Objets d'exemple", "0", "", "09/02/2026", "10/03/2026"] in figures
    assert {row[1] for row in series[1:]} == {"0"}
