"""The member's account pages: joining with the charter, balance, limits, what waits for an answer, the history
(paginated, in a bounded number of queries) and the block on the territory's home page."""

from __future__ import annotations

import html as html_module
import re

from flask import g
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from platformcoop.clock import now
from platformcoop.extensions import db
from plugins import timebank
from plugins.timebank import exchanges, services
from plugins.timebank.models import Account, Transfer
from tests.conftest import create_user
from tests.plugins.timebank.support import BASE, client_for, count_queries, territory, user
from tests.plugins.timebank.test_exchanges import ANNE, ensure_categories, set_settings

JOIN = f"{BASE}/rejoindre"


def accounts_of(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Account).where(Account.user_id == user_id))


def text(response) -> str:
    return html_module.unescape(response.get_data(as_text=True))


def rows(html: str) -> int:
    """Lines of the history table (its body rows)."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.count("<tr>")


# -- joining --------------------------------------------------------------------------------------------------------


def test_a_member_without_an_account_reads_the_charter_and_joins_by_accepting_it(app, people):
    anne = client_for(app, ANNE)

    page = anne.get(f"{BASE}/")

    assert page.status_code == 200
    html = text(page)
    assert "Rejoindre la banque de temps" in html and "La charte de la banque de temps" in html
    assert "Une heure donnée vaut une heure reçue, quel que soit le service." in html
    assert 'type="checkbox"' in html and "J'accepte la charte" in html
    with app.app_context():
        assert accounts_of(people["anne"]) == 0  # looking is not joining

    response = anne.post(JOIN, data={"accept": "y"})

    assert response.status_code == 302 and response.headers["Location"].endswith(f"{BASE}/")
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.user_id == people["anne"]))
        assert account.balance == 120 and account.charter_accepted_at is not None
    page = anne.get(f"{BASE}/").get_data(as_text=True)
    assert "Bienvenue ! Votre compte est ouvert, avec 2 h offertes." in page
    assert '<strong data-testid="timebank-balance">2 h</strong>' in page


def test_joining_without_accepting_the_charter_opens_nothing(app, people):
    anne = client_for(app, ANNE)

    response = anne.post(JOIN, data={})

    assert response.status_code == 422
    assert "Cochez la case pour accepter la charte." in response.get_data(as_text=True)
    with app.app_context():
        assert accounts_of(people["anne"]) == 0


def test_joining_twice_opens_one_account_and_pays_one_welcome_credit(app, people):
    anne = client_for(app, ANNE)

    assert anne.post(JOIN, data={"accept": "y"}).status_code == 302
    assert anne.post(JOIN, data={"accept": "y"}).status_code == 302

    with app.app_context():
        assert accounts_of(people["anne"]) == 1
        assert db.session.scalar(select(func.count()).select_from(Transfer)) == 1


def test_the_join_page_shows_the_territorys_own_charter(app, people):
    with app.app_context():
        set_settings(territory(), charter="Premier article.\nSecond article : la ponctualité.", welcome_credit=0)

    html = client_for(app, ANNE).get(f"{BASE}/").get_data(as_text=True)

    assert "<p>Premier article.</p>" in html and "<p>Second article : la ponctualité.</p>" in html
    assert "offertes pour commencer" not in html


def test_people_who_are_not_members_get_the_usual_refusal(app, client, people, lomme):
    for path in ("/", "/rejoindre", "/historique", "/echanges/nouveau", "/echanges/1"):
        assert client.get(f"{BASE}{path}").status_code == 302  # visitors: to the login page
    create_user(app, "louis@example.org", "Louis", lomme=("resident",))
    louis = client_for(app, "louis@example.org")
    for path in ("/", "/rejoindre", "/historique", "/echanges/nouveau", "/echanges/1"):
        assert louis.get(f"{BASE}{path}").status_code == 403
    assert louis.post(JOIN, data={"accept": "y"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Account)) == 0


def test_without_an_account_the_exchange_pages_lead_to_joining(app, people):
    anne = client_for(app, ANNE)

    assert anne.get(f"{BASE}/echanges/nouveau").headers["Location"].endswith(f"{BASE}/")
    assert anne.get(f"{BASE}/historique").headers["Location"].endswith(f"{BASE}/")


# -- the account page -------------------------------------------------------------------------------------------------


def _anne_with_history(app, people) -> None:
    """Anne received 1 h 30 of DIY from Bruno, gave 1 h to Coralie (reversed by the coordinator), owes an answer to
    Bruno's request of 1 h and waits for Coralie's confirmation of 0 h 45."""
    with app.app_context():
        t = territory()
        cats = ensure_categories(t)
        anne, bruno, coord = (services.open_account(t, user(people[n])) for n in ("anne", "bruno", "coord"))
        exchanges.record_exchange(t, anne, bruno, 90, actor=None, category_id=cats["diy"].id, description="Étagère")
        wrong = services.transfer(t, coord, anne, 60, description="Courses", category_id=cats["transport"].id)
        services.reverse(t, wrong, actor=user(people["coord"]), reason="Pas eu lieu")
        exchanges.request_payment(t, bruno, anne, 60, actor=None, category_id=cats["diy"].id, description="Clé")
        set_settings(t, provider_confirms=True)
        exchanges.record_exchange(t, anne, coord, 45, actor=None, category_id=cats["cooking"].id, description="Pain")
        db.session.commit()


def test_the_account_page_shows_balance_limits_answers_to_give_and_the_history(app, people):
    _anne_with_history(app, people)

    html = text(client_for(app, ANNE).get(f"{BASE}/"))

    assert '<strong data-testid="timebank-balance">0 h 30</strong>' in html
    assert "Votre solde peut descendre jusqu'à -10 h" in html
    assert "Il ne peut pas dépasser 40 h" in html
    assert "Un échange dure au plus 8 h, par tranches de 15 minutes." in html
    answer = html.split("À vous de répondre", 1)[1].split("Vos demandes en attente", 1)[0]
    assert "Bruno vous demande 1 h pour un service rendu." in answer and "Accepter" in answer
    sent = html.split("Vos demandes en attente", 1)[1].split("Derniers mouvements", 1)[0]
    assert "Vous avez indiqué avoir reçu 0 h 45 de Coralie : en attente de sa confirmation." in sent
    history = html.split("Derniers mouvements", 1)[1]
    assert rows(history) == 4  # welcome, the exchange with Bruno, Coralie's transfer and its reversal
    assert re.search(r"<td>Bruno</td>\s*<td>Bricolage</td>\s*<td>Étagère\s*</td>\s*<td[^>]*>−1 h 30", history)
    assert re.search(r"<td>Coralie</td>\s*<td>Transport et accompagnement</td>\s*<td>Courses\s*<span", history)
    assert "Annulé</span>" in history  # the reversed transfer is marked
    assert "Annulation de l'échange du" in history and "Pas eu lieu" in history
    assert "+2 h" in history and "Crédit de bienvenue" in history


def test_a_former_member_reads_ancien_membre_in_the_history(app, people):
    _anne_with_history(app, people)
    with app.app_context():
        user(people["bruno"]).erased_at = now()
        db.session.commit()

    history = client_for(app, ANNE).get(f"{BASE}/").get_data(as_text=True).split("Derniers mouvements", 1)[1]

    assert "<td>Ancien membre</td>" in history and "<td>Bruno</td>" not in history


def _movements_for_anne(app, people, total: int) -> None:
    """Give Anne ``total`` movements (the welcome credit included), with two counterparts and several categories."""
    with app.app_context():
        t = territory()
        cats = [c.id for key, c in sorted(ensure_categories(t).items()) if key != "childcare"]
        anne, bruno, coord = (services.open_account(t, user(people[n])) for n in ("anne", "bruno", "coord"))
        done = db.session.scalar(select(func.count()).select_from(Transfer).where(Transfer.to_account_id == anne.id))
        done += db.session.scalar(select(func.count()).select_from(Transfer).where(Transfer.from_account_id == anne.id))
        for i in range(done, total):
            other = bruno if i % 2 else coord
            source, destination = (anne, other) if i % 4 < 2 else (other, anne)
            services.transfer(t, source, destination, 15, description=f"Service {i}", category_id=cats[i % len(cats)])
        db.session.commit()


def test_the_account_pages_run_the_same_number_of_queries_with_10_and_200_movements(app, people):
    anne = client_for(app, ANNE)

    def queries(path: str) -> int:
        anne.get(path)  # warm up (last-seen stamp, first loads)
        with count_queries(app) as statements:
            assert anne.get(path).status_code == 200
        return len(statements)

    _movements_for_anne(app, people, 10)
    with_10 = (queries(f"{BASE}/"), queries(f"{BASE}/historique"))
    _movements_for_anne(app, people, 200)
    with_200 = (queries(f"{BASE}/"), queries(f"{BASE}/historique"), queries(f"{BASE}/historique?page=3"))

    assert with_200[:2] == with_10
    assert with_200[2] == with_200[1]


def test_the_history_shows_25_movements_a_page(app, people):
    _movements_for_anne(app, people, 30)
    anne = client_for(app, ANNE)

    first = anne.get(f"{BASE}/historique").get_data(as_text=True)
    second = anne.get(f"{BASE}/historique?page=2").get_data(as_text=True)

    assert rows(first) == 25 and rows(second) == 5
    assert "Page 1 sur 2" in first and 'href="/libercourt/banque-de-temps/historique?page=2"' in first
    assert "Service 29" in first and "Service 29" not in second and "Crédit de bienvenue" in second
    assert rows(anne.get(f"{BASE}/historique?page=99").get_data(as_text=True)) == 5  # past the end: the last page
    account_page = text(anne.get(f"{BASE}/"))
    assert rows(account_page.split("Derniers mouvements", 1)[1]) == 10
    assert "Voir tout l'historique" in account_page


def test_a_closed_account_records_nothing(app, people):
    with app.app_context():
        account = services.open_account(territory(), user(people["anne"]))
        account.closed_at = now()
        db.session.commit()
    anne = client_for(app, ANNE)

    response = anne.get(f"{BASE}/echanges/nouveau")

    assert response.status_code == 302
    assert "Votre compte est fermé" in anne.get(f"{BASE}/").get_data(as_text=True)


# -- the block on the territory's home page ----------------------------------------------------------------------------


def test_the_home_page_invites_members_without_an_account_to_join(app, people):
    html = client_for(app, ANNE).get("/libercourt/").get_data(as_text=True)

    widget = html.split('class="widget"', 1)[1]
    assert "Rejoindre la banque de temps" in widget and f'href="{BASE}/"' in widget


def test_the_home_page_shows_the_members_balance_and_what_to_do(app, people):
    _anne_with_history(app, people)

    html = client_for(app, ANNE).get("/libercourt/").get_data(as_text=True)

    assert "Votre solde : <strong>0 h 30</strong>" in html
    assert "1 échange attend votre réponse" in html
    assert f'href="{BASE}/echanges/nouveau"' in html and f'href="{BASE}/annonces/"' in html


def test_no_time_bank_block_for_visitors_and_other_territories_people(app, client, people, lomme):
    create_user(app, "louis@example.org", "Louis", lomme=("resident",))
    assert "Votre solde" not in client.get("/libercourt/").get_data(as_text=True)
    html = client_for(app, "louis@example.org").get("/libercourt/").get_data(as_text=True)
    assert "Rejoindre la banque de temps" not in html and "Votre solde" not in html
    with app.test_request_context("/libercourt/"):
        g.territory = territory()
        [widget] = timebank.widgets.dashboard_widgets(g.territory, user(people["anne"]))
        assert (widget.template, widget.context["account"]) == ("widgets/timebank.html", None)
        assert timebank.widgets.dashboard_widgets(g.territory, None) == []
        assert timebank.widgets.dashboard_widgets(g.territory, AnonymousUserMixin()) == []
