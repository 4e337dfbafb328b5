"""Acceptance scenario 7 of the core specification: deleting an account that has history keeps every other member's
records and totals intact. The history here is the sample module's items (``tests/sample_plugin``), whose
``pc_user_erased`` lets go of the owner, the territory figures of ``pc_territory_stats``, and a conversation."""

from __future__ import annotations

import html
import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from platformcoop import clock
from platformcoop.accounts.models import User
from platformcoop.extensions import db
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy import territory_context
from platformcoop.tenancy.models import Membership, Territory
from tests.conftest import PASSWORD, create_user, login
from tests.sample_plugin import SampleItem


def territory_figures(app) -> dict[str, dict[str, int]]:
    """Every territory's figures over the last 30 days, as the administration dashboard shows them."""
    end = clock.now()
    with app.app_context():
        registry = get_registry()
        return {
            territory.slug: {
                stat.key: stat.value
                for stat in registry.collect(territory, "pc_territory_stats", start=end - timedelta(days=30), end=end)
            }
            for territory in db.session.scalars(select(Territory))
        }


def items(app) -> set[tuple[int, int, int | None, str]]:
    """(id, territory, owner, title) of every sample item."""
    with app.app_context():
        rows = db.session.execute(select(SampleItem.id, SampleItem.territory_id, SampleItem.owner_id, SampleItem.title))
        return {tuple(row) for row in rows}


def memberships(app) -> set[tuple[int, int, str, frozenset[str]]]:
    with app.app_context():
        return {
            (m.user_id, m.territory_id, m.status, frozenset(m.roles)) for m in db.session.scalars(select(Membership))
        }


def test_deleting_an_account_with_history_keeps_every_other_members_records_and_totals(
    app, libercourt, lomme, frozen_clock
):
    leaving = create_user(app, "camille@example.org", "Camille", libercourt=("resident",), lomme=("resident",))
    staying = create_user(app, "dominique@example.org", "Dominique", libercourt=("resident", "admin"))
    other = create_user(app, "sacha@example.org", "Sacha", lomme=("resident",))
    with app.app_context():
        db.session.add_all(
            [
                SampleItem(territory_id=libercourt, owner_id=leaving, title="Perceuse de Camille"),
                SampleItem(territory_id=lomme, owner_id=leaving, title="Vélo de Camille"),
                SampleItem(territory_id=libercourt, owner_id=staying, title="Tondeuse de Dominique"),
                SampleItem(territory_id=libercourt, owner_id=staying, title="Échelle de Dominique"),
                SampleItem(territory_id=lomme, owner_id=other, title="Scie de Sacha"),
                SampleItem(territory_id=lomme, owner_id=None, title="Table de la mairie"),
            ]
        )
        db.session.commit()
    items_before, figures_before, memberships_before = items(app), territory_figures(app), memberships(app)
    client = app.test_client()
    login(client, "camille@example.org")

    response = client.post("/compte/profil/supprimer", data={"password": PASSWORD, "confirmation": "SUPPRIMER"})

    assert response.status_code == 302
    # Everyone else's records are untouched; Camille's stay, with no owner ("Ancien membre").
    assert items(app) == {(i, t, None if owner == leaving else owner, title) for i, t, owner, title in items_before}
    assert memberships(app) == {m for m in memberships_before if m[0] != leaving}
    # Totals: the module's figures are the same; only the member count lost the person who left.
    figures_after = territory_figures(app)
    for slug in ("libercourt", "lomme"):
        assert figures_after[slug]["sample_items"] == figures_before[slug]["sample_items"]
        assert figures_after[slug]["members"] == figures_before[slug]["members"] - 1
    # The others can still log in and use their territory.
    dominique = app.test_client()
    assert login(dominique, "dominique@example.org").status_code == 302
    assert "Tondeuse de Dominique" in dominique.get("/libercourt/exemple/").get_data(as_text=True)


def test_deleting_an_account_keeps_the_conversations_of_the_others(app, libercourt, outbox):
    messaging = pytest.importorskip("platformcoop.messaging", reason="messaging is not installed")
    from platformcoop.messaging.models import Message

    leaving = create_user(app, "camille@example.org", "Camille", libercourt=("resident",))
    staying = create_user(app, "dominique@example.org", "Dominique", libercourt=("resident",))
    with app.test_request_context():  # as from a module's "Contacter" page
        territory = db.session.get(Territory, libercourt)
        camille, dominique = db.session.get(User, leaving), db.session.get(User, staying)
        with territory_context(territory):
            conversation = messaging.start_conversation(
                territory, camille, with_user=dominique, title="Perceuse", first_message="La perceuse est libre ?"
            )
            messaging.post_message(conversation, dominique, "Oui, passez samedi.")
        db.session.commit()
        conversation_id = conversation.id
    client = app.test_client()
    login(client, "camille@example.org")
    export = client.post("/compte/profil/mes-donnees")
    with zipfile.ZipFile(io.BytesIO(export.get_data())) as archive:
        assert "Oui, passez samedi." in archive.read("territoires/libercourt/messages.json").decode()

    client.post("/compte/profil/supprimer", data={"password": PASSWORD, "confirmation": "SUPPRIMER"})

    with app.app_context():
        messages = db.session.scalars(select(Message).filter_by(conversation_id=conversation_id).order_by(Message.id))
        assert [(m.author_id, m.body) for m in messages] == [
            (None, "La perceuse est libre ?"),
            (staying, "Oui, passez samedi."),
        ]
    reader = app.test_client()
    login(reader, "dominique@example.org")
    page = html.unescape(reader.get(f"/libercourt/messages/{conversation_id}").get_data(as_text=True))
    assert "La perceuse est libre ?" in page
    assert "Ancien membre" in page
    assert "Camille" not in page
