"""GDPR: what a member takes away (export) and how they leave (erasure) without breaking the ledger (scenario 3)."""

from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import func, select

from platformcoop.accounts import gdpr as core_gdpr
from platformcoop.extensions import db
from platformcoop.plugins.manager import get_registry
from plugins.timebank import childcare, exchanges, gdpr, posts, services
from plugins.timebank.models import Account, Movement, Transfer
from tests.conftest import create_user
from tests.plugins.timebank.support import BASE, assert_invariants, client_for, territory, user


def _anne_with_five_hours(people) -> tuple[Account, Account]:
    t = territory()
    anne = services.open_account(t, user(people["anne"]))
    bruno = services.open_account(t, user(people["bruno"]))
    services.transfer(t, bruno, anne, 180, description="Garde de Léa")
    db.session.commit()
    assert anne.balance == 300
    return anne, bruno


def test_the_export_holds_the_account_and_the_movements_with_the_other_sides_names(ctx, people):
    _anne_with_five_hours(people)
    data = gdpr.export_user_data(territory(), user(people["anne"]))
    assert data["account"]["balance_minutes"] == 300 and data["account"]["balance_hours"] == "5.00"
    assert [(m["minutes"], m["counterpart"], m["kind_label"]) for m in data["movements"]] == [
        (180, "Bruno", "Échange"),
        (120, "Compte commun", "Crédit de bienvenue"),
    ]
    assert data["movements"][0]["hours"] == "3.00" and data["movements"][0]["description"] == "Garde de Léa"


def test_the_export_adds_what_the_other_areas_provide(ctx, people, monkeypatch):
    calls = []
    monkeypatch.setattr(posts, "export_posts", lambda t, u: calls.append("posts") or [{"title": "Je propose"}], False)
    monkeypatch.setattr(exchanges, "export_exchanges", lambda t, a: calls.append("exchanges") or [], False)
    monkeypatch.setattr(
        childcare, "export_childcare", lambda t, a: calls.append("childcare") or {"children": []}, False
    )
    _anne_with_five_hours(people)
    data = gdpr.export_user_data(territory(), user(people["anne"]))
    assert calls == ["posts", "exchanges", "childcare"]
    assert (
        data["posts"] == [{"title": "Je propose"}] and data["exchanges"] == [] and data["childcare"] == {"children": []}
    )


def test_the_export_works_without_the_other_areas(ctx, people, monkeypatch):
    for module, name in ((posts, "export_posts"), (exchanges, "export_exchanges"), (childcare, "export_childcare")):
        monkeypatch.delattr(module, name, raising=False)
    _anne_with_five_hours(people)
    data = gdpr.export_user_data(territory(), user(people["anne"]))
    assert set(data) == {"account", "movements"}


def test_a_person_without_an_account_or_posts_gets_nothing_from_the_time_bank(ctx, people):
    assert gdpr.export_user_data(territory(), user(people["anne"])) is None


def test_the_platform_export_carries_the_time_bank_file(ctx, people):
    _anne_with_five_hours(people)
    archive = zipfile.ZipFile(io.BytesIO(core_gdpr.export_user_data(get_registry(), user(people["anne"]))))
    data = json.loads(archive.read("territoires/libercourt/timebank.json"))
    assert [m["minutes"] for m in data["movements"]] == [180, 120]


def test_the_erasure_asks_every_area_and_keeps_the_account_and_its_movements(ctx, people, monkeypatch):
    calls = []
    monkeypatch.setattr(posts, "erase_posts", lambda t, u: calls.append(("posts", u.id)), False)
    monkeypatch.setattr(exchanges, "cancel_pending_for", lambda t, a: calls.append(("exchanges", a.id)), False)
    monkeypatch.setattr(childcare, "erase_childcare", lambda t, a: calls.append(("childcare", a.id)), False)
    anne, _bruno = _anne_with_five_hours(people)
    movements = db.session.scalar(select(func.count()).select_from(Movement))
    gdpr.erase_user_data(territory(), user(people["anne"]))
    db.session.commit()
    assert calls == [("posts", people["anne"]), ("exchanges", anne.id), ("childcare", anne.id)]
    assert db.session.get(Account, anne.id).closed_at is not None  # nobody records an exchange with them any more
    assert db.session.scalar(select(func.count()).select_from(Movement)) == movements
    assert_invariants(territory())


def test_the_erasure_works_without_the_other_areas(ctx, people, monkeypatch):
    for module, name in ((posts, "erase_posts"), (exchanges, "cancel_pending_for"), (childcare, "erase_childcare")):
        monkeypatch.delattr(module, name, raising=False)
    anne, _bruno = _anne_with_five_hours(people)
    gdpr.erase_user_data(territory(), user(people["anne"]))
    db.session.commit()
    assert anne.closed_at is not None
    gdpr.erase_user_data(territory(), user(people["coord"]))  # no account here: nothing to do


def test_scenario_3_a_member_leaves_with_five_hours(app, people):
    with app.app_context():
        t = territory()
        anne, _bruno = _anne_with_five_hours(people)
        anne_id = anne.id
        community_before = services.community_account(t).balance
        # the coordinator writes the balance off to the community account ...
        record = services.write_off(t, anne, actor=user(people["coord"]), reason="Anne quitte Libercourt")
        db.session.commit()
        assert (record.minutes, record.to_account.is_community) == (300, True)
        assert services.community_account(t).balance == community_before + 300
        # ... then Anne deletes her account (the platform's erasure, every module asked)
        core_gdpr.erase_user(get_registry(), user(people["anne"]))
        db.session.commit()
        assert db.session.get(Account, anne_id) is not None  # the account and its history stay
        assert services.account_label(db.session.get(Account, anne_id)) == "Ancien membre"
        assert services.movements_sum(t) == 0
        assert_invariants(t)
        # Bruno's own export names her "Ancien membre"
        bruno_movements = gdpr.export_user_data(t, user(people["bruno"]))["movements"]
        assert [m["counterpart"] for m in bruno_movements if m["kind"] == "transfer"] == ["Ancien membre"]
        transfers = db.session.scalar(select(func.count()).select_from(Transfer))

    bruno_page = client_for(app, "bruno@example.org").get(BASE + "/").get_data(as_text=True)
    assert "Ancien membre" in bruno_page and "Anne" not in bruno_page
    report = client_for(app, "coord@example.org").get(BASE + "/coordination/rapports/echanges").get_data(as_text=True)
    assert "Ancien membre" in report and "Anne</" not in report
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Transfer)) == transfers


def test_an_erased_member_with_hours_left_keeps_them_until_a_coordinator_writes_them_off(app, people):
    with app.app_context():
        t = territory()
        anne, _bruno = _anne_with_five_hours(people)
        core_gdpr.erase_user(get_registry(), user(people["anne"]))
        db.session.commit()
        anne = db.session.get(Account, anne.id)
        assert anne.balance == 300 and anne.closed_at is not None
        services.write_off(t, anne, actor=user(people["coord"]), reason="Compte supprimé avec 5 h")
        db.session.commit()
        assert anne.balance == 0
        assert_invariants(t)


def test_a_member_of_another_territory_is_not_touched(ctx, people, lomme):
    louis_id = create_user(ctx, "louis@example.org", "Louis", lomme=("resident",))
    louis = services.open_account(territory("lomme"), user(louis_id))
    db.session.commit()
    gdpr.erase_user_data(territory(), user(louis_id))  # asked in Libercourt, where Louis has nothing
    db.session.commit()
    assert db.session.get(Account, louis.id).closed_at is None
    assert gdpr.export_user_data(territory(), user(louis_id)) is None
