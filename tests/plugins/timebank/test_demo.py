"""The demo (``make run``) shows a Libercourt time bank that looks alive, and its ledger adds up."""

from __future__ import annotations

from sqlalchemy import func, select

from platformcoop import clock
from platformcoop.demo import load_demo
from platformcoop.extensions import db
from plugins.timebank import categories, childcare, exchanges
from plugins.timebank.models import Account, Child, Exchange, Post, Session
from tests.plugins.timebank.support import assert_invariants, territory


def _by_status(model, t) -> dict[str, int]:
    return dict(
        db.session.execute(
            select(model.status, func.count()).where(model.territory_id == t.id).group_by(model.status)
        ).all()
    )


def test_the_demo_fills_the_libercourt_time_bank_and_its_ledger_adds_up(app, ctx):
    assert load_demo(echo=lambda _line: None)
    t = territory("libercourt")

    assert_invariants(t)
    assert db.session.scalar(select(func.count()).select_from(Account).where(Account.territory_id == t.id)) == 8
    assert db.session.scalar(select(func.count()).select_from(Post).where(Post.territory_id == t.id)) == 8
    assert db.session.scalar(select(func.count()).select_from(Child).where(Child.territory_id == t.id)) == 5
    assert _by_status(Session, t) == {"confirmed": 4, "declared": 1, "disputed": 1, "accepted": 1, "requested": 1}
    assert _by_status(Exchange, t) == {"done": 9, "pending": 1}
    statuses = dict(
        db.session.execute(select(Account.id, Account.childcare_status).where(Account.territory_id == t.id)).all()
    )
    assert sorted(statuses.values()).count("verified") == 2 and "requested" in statuses.values()
    # the other territories get the categories, nothing else
    lomme = territory("lomme")
    assert len(categories.categories(lomme)) == len(categories.DEFAULT_CATEGORIES)
    assert db.session.scalar(select(func.count()).select_from(Account).where(Account.territory_id == lomme.id)) == 0

    # The scheduler's sweeps run on the demo as it is (reminders for the declared session and the payment request).
    childcare.sweep(t, clock.now())
    exchanges.sweep(t, clock.now())
    db.session.commit()
    assert_invariants(t)


def test_demo_people_see_their_time_bank(app):
    # no app context around the requests: each request gets its own (and its own logged-in user)
    with app.app_context():
        load_demo(echo=lambda _line: None)
        db.session.commit()

    camille = app.test_client()
    camille.post("/compte/connexion", data={"email": "camille.martin@example.org", "password": "entraide-demo-2026"})
    account = camille.get("/libercourt/banque-de-temps/").get_data(as_text=True)
    assert "−8 h 30" in account or "-8 h 30" in account
    care = camille.get("/libercourt/banque-de-temps/garde/").get_data(as_text=True)
    assert "Confirmer les heures de garde de Julie Morel" in care
    assert "Martine Lefebvre" in care

    coordinator = app.test_client()
    coordinator.post(
        "/compte/connexion", data={"email": "brigitte.dupont@example.org", "password": "entraide-demo-2026"}
    )
    response = coordinator.get("/libercourt/banque-de-temps/coordination/verifications/")
    assert response.status_code == 200
    vetting = response.get_data(as_text=True)
    assert "Paul Garnier" in vetting
    disputes = coordinator.get("/libercourt/banque-de-temps/coordination/litiges/").get_data(as_text=True)
    assert "pas à 12 h 30" in disputes
    offers = coordinator.get("/libercourt/banque-de-temps/annonces/").get_data(as_text=True)
    assert "Aide aux devoirs (primaire et collège)" in offers
