"""GDPR: a resident downloads their data, and deletes their account for good (acceptance scenario 7 is in
``test_gdpr_acceptance.py``)."""

from __future__ import annotations

import html
import io
import json
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from platformcoop.accounts import gdpr
from platformcoop.accounts.models import User
from platformcoop.audit import AuditLog
from platformcoop.extensions import db
from platformcoop.messaging.models import Message
from platformcoop.messaging.services import start_conversation
from platformcoop.notifications.models import Notification, NotificationPreference
from platformcoop.plugins import hookimpl
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy import services as territories
from platformcoop.tenancy.models import Membership, MembershipRole, Territory
from tests.conftest import PASSWORD, create_user, login
from tests.sample_plugin import SampleItem

EXPORT_URL = "/compte/profil/mes-donnees"
ERASE_URL = "/compte/profil/supprimer"


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def territory(slug: str) -> Territory:
    return db.session.scalars(select(Territory).filter_by(slug=slug)).one()


def add_item(app, territory_id: int, title: str, owner_id: int | None) -> int:
    with app.app_context():
        item = SampleItem(territory_id=territory_id, title=title, owner_id=owner_id)
        db.session.add(item)
        db.session.commit()
        return item.id


def add_notification(app, user_id: int, territory_id: int | None, title: str) -> None:
    with app.app_context():
        db.session.add(Notification(user_id=user_id, territory_id=territory_id, kind="sample.created", title=title))
        db.session.commit()


def set_module(app, slug: str, module: str, enabled: bool) -> None:
    with app.app_context():
        toggle = territories.enable_module if enabled else territories.disable_module
        toggle(get_registry(), territory(slug), module)
        db.session.commit()


def unzip(response) -> dict[str, object]:
    """The archive's files: JSON files parsed, text files as text."""
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        return {
            name: json.loads(archive.read(name)) if name.endswith(".json") else archive.read(name).decode()
            for name in archive.namelist()
        }


@pytest.fixture
def camille(app, libercourt, lomme) -> int:
    """A resident of Libercourt (and a pending member of Lomme) with a phone, a neighbourhood and some history."""
    user_id = create_user(app, "camille@example.org", "Camille", libercourt=("resident", "sample.manager"))
    with app.app_context():
        user = db.session.get(User, user_id)
        user.phone = "06 12 34 56 78"
        user.neighbourhood = "Quartier de la gare"
        territories.join_territory(territory("lomme"), user, "J'habite à côté.")
        db.session.add(NotificationPreference(user_id=user_id, kind="sample.created", email=False))
        db.session.commit()
    add_notification(app, user_id, libercourt, "Un objet d'exemple est créé")
    add_item(app, libercourt, "Perceuse de Camille", user_id)
    return user_id


@pytest.fixture
def camille_client(app, camille):
    client = app.test_client()
    assert login(client, "camille@example.org").status_code == 302
    return client


# -- export ---------------------------------------------------------------------------------------------------------


def test_resident_downloads_a_zip_of_their_data_from_the_profile(app, camille_client, frozen_clock):
    assert "Télécharger mes données" in page_text(camille_client.get("/compte/profil"))

    response = camille_client.post(EXPORT_URL)

    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == "attachment; filename=mes-donnees-platformcoop-2026-03-10.zip"
    assert response.headers["Cache-Control"] == "no-store"
    files = unzip(response)
    assert {"LISEZMOI.txt", "compte.json", "territoires/libercourt/sample.json"} <= set(files)
    assert files["territoires/libercourt/sample.json"] == {"items": ["Perceuse de Camille"]}


def test_exported_account_holds_profile_memberships_preferences_and_notifications(app, camille_client, frozen_clock):
    account = unzip(camille_client.post(EXPORT_URL))["compte.json"]

    assert account["exported_at"] == "2026-03-10T09:00:00+00:00"
    assert account["profile"]["email"] == "camille@example.org"
    assert account["profile"]["display_name"] == "Camille"
    assert account["profile"]["phone"] == "06 12 34 56 78"
    assert account["profile"]["neighbourhood"] == "Quartier de la gare"
    assert datetime.fromisoformat(account["profile"]["created_at"]).tzinfo is not None
    assert [(m["territory"], m["status"], m["roles"]) for m in account["memberships"]] == [
        ("libercourt", "active", ["resident", "sample.manager"]),
        ("lomme", "pending", []),
    ]
    assert account["memberships"][1]["request_message"] == "J'habite à côté."
    assert account["notification_preferences"] == [{"kind": "sample.created", "email": False, "daily_digest": False}]
    [notification] = account["notifications"]
    assert (notification["territory"], notification["title"]) == ("libercourt", "Un objet d'exemple est créé")


def test_export_holds_nothing_of_other_members(app, camille_client, libercourt):
    other = create_user(app, "dominique@example.org", "Dominique", libercourt=("resident",))
    add_item(app, libercourt, "Tondeuse de Dominique", other)
    add_notification(app, other, libercourt, "Pour Dominique")

    files = unzip(camille_client.post(EXPORT_URL))
    text = json.dumps(files, ensure_ascii=False)

    assert "Dominique" not in text
    assert "dominique@example.org" not in text


def test_export_asks_only_the_modules_each_territory_has_enabled(app, camille_client, lomme):
    set_module(app, "libercourt", "sample", enabled=False)

    files = unzip(camille_client.post(EXPORT_URL))

    assert "territoires/libercourt/sample.json" not in files
    assert files["territoires/lomme/sample.json"] == {"items": []}


def test_export_covers_every_territory_the_resident_belongs_to(app, camille_client, camille, lomme):
    add_item(app, lomme, "Vélo de Camille à Lomme", camille)

    files = unzip(camille_client.post(EXPORT_URL))

    assert files["territoires/lomme/sample.json"] == {"items": ["Vélo de Camille à Lomme"]}


def test_export_includes_the_persons_conversations(app, camille, camille_client):
    dominique = create_user(app, "dominique@example.org", "Dominique", libercourt=("resident",))
    write_to(app, "libercourt", dominique, camille, "Bonjour Camille, je peux garder Léo mardi.")

    files = unzip(camille_client.post(EXPORT_URL))

    [conversation] = files["territoires/libercourt/messages.json"]["conversations"]
    assert [m["body"] for m in conversation["messages"]] == ["Bonjour Camille, je peux garder Léo mardi."]


def test_export_needs_a_logged_in_post(app, client, camille):
    assert client.post(EXPORT_URL).status_code == 302  # to the login page
    login(client, "camille@example.org")
    assert client.get(EXPORT_URL).status_code == 405


def test_export_is_rate_limited_per_account(app, camille_client, libercourt):
    create_user(app, "dominique@example.org", "Dominique", libercourt=("resident",))
    dominique = app.test_client()
    login(dominique, "dominique@example.org")

    answers = [camille_client.post(EXPORT_URL).status_code for _ in range(6)]

    assert answers == [200] * 5 + [429]
    assert "Trop de tentatives" in page_text(camille_client.post(EXPORT_URL))
    assert dominique.post(EXPORT_URL).status_code == 200


def test_json_export_writes_dates_in_iso_8601_and_refuses_what_it_cannot_write():
    data = {
        "at": datetime(2026, 3, 10, 9, 30, tzinfo=UTC),
        "on": date(2026, 3, 10),
        "amount": Decimal("12.50"),
        "tags": {"b", "a"},
    }

    assert json.loads(gdpr.to_json(data)) == {
        "at": "2026-03-10T09:30:00+00:00",
        "on": "2026-03-10",
        "amount": "12.50",
        "tags": ["a", "b"],
    }
    with pytest.raises(TypeError, match=r"territoires/x/y\.json"):
        gdpr.to_json({"who": object()}, origin="territoires/x/y.json")


# -- erasure: the confirmation page ---------------------------------------------------------------------------------


def erase(client, password: str = PASSWORD, word: str = "SUPPRIMER"):
    return client.post(ERASE_URL, data={"password": password, "confirmation": word})


def user_row(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_profile_links_to_a_page_that_explains_what_deleting_the_account_does(app, camille_client):
    assert ERASE_URL in camille_client.get("/compte/profil").get_data(as_text=True)

    page = page_text(camille_client.get(ERASE_URL))

    assert "<h1>Supprimer mon compte</h1>" in page
    assert "C'est définitif" in page
    assert "Ancien membre" in page
    assert 'name="password"' in page
    assert 'name="confirmation"' in page


def test_erase_page_needs_login(client):
    assert client.get(ERASE_URL).status_code == 302


def test_wrong_password_is_refused_next_to_the_field_and_nothing_changes(app, camille_client, camille, outbox):
    response = erase(camille_client, password="pas le bon mot de passe")

    assert response.status_code == 200
    page = page_text(response)
    assert "Le formulaire contient des erreurs" in page
    assert 'id="password-erreur"' in page
    assert "Le mot de passe n'est pas le bon." in page
    assert user_row(app, camille).email == "camille@example.org"
    assert camille_client.get("/compte/profil").status_code == 200
    assert outbox.messages() == []


@pytest.mark.parametrize("word", ["", "supprime", "oui"])
def test_without_the_confirmation_word_nothing_changes(app, camille_client, camille, word):
    response = erase(camille_client, word=word)

    assert response.status_code == 200
    assert "Tapez SUPPRIMER pour confirmer." in page_text(response)
    assert user_row(app, camille).erased_at is None


def test_confirmation_word_may_be_typed_in_lower_case(app, camille_client, camille):
    assert erase(camille_client, word=" supprimer ").status_code == 302
    assert user_row(app, camille).erased_at is not None


# -- erasure: what it does ------------------------------------------------------------------------------------------


def test_resident_deletes_their_account_and_their_personal_data_is_gone(app, camille_client, camille, frozen_clock):
    token_before = user_row(app, camille).session_token

    response = erase(camille_client)

    assert response.status_code == 302
    user = user_row(app, camille)
    assert user.display_name == "Ancien membre"
    assert user.email == f"erased-{camille}@invalid"
    assert (user.phone, user.neighbourhood, user.email_confirmed_at, user.last_seen_at) == (None, None, None, None)
    assert user.disabled
    assert user.erased_at == frozen_clock
    assert user.session_token != token_before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Membership).filter_by(user_id=camille)) == 0
        assert db.session.scalar(select(func.count()).select_from(MembershipRole)) == 0
        assert db.session.scalar(select(func.count()).select_from(Notification).filter_by(user_id=camille)) == 0
        assert db.session.scalar(select(func.count()).select_from(NotificationPreference)) == 0
        entry = db.session.scalars(select(AuditLog).filter_by(action="account.erased")).one()
        assert (entry.object_type, entry.object_id) == ("User", camille)


def test_a_goodbye_email_goes_to_the_old_address(app, camille_client, camille, outbox):
    erase(camille_client)

    [goodbye] = outbox.to("camille@example.org")
    assert goodbye["Subject"] == "Votre compte est supprimé"
    assert "Bonjour Camille," in outbox.body(goodbye)
    assert outbox.to(f"erased-{camille}@invalid") == []


def test_emails_kept_for_the_old_address_are_deleted_but_the_goodbye(app, camille_client, libercourt):
    pytest.importorskip("platformcoop.notifications.outbox", reason="there is no e-mail outbox table")
    from platformcoop.notifications.models import OutboxMessage

    camille_client.post("/compte/mot-de-passe-oublie", data={"email": "camille@example.org"})
    create_user(app, "dominique@example.org", "Dominique", libercourt=("resident",))
    app.test_client().post("/compte/mot-de-passe-oublie", data={"email": "dominique@example.org"})

    erase(camille_client)

    with app.app_context():
        kept = db.session.execute(select(OutboxMessage.recipient, OutboxMessage.subject).order_by(OutboxMessage.id))
        assert list(kept) == [
            ("dominique@example.org", "Choisir un nouveau mot de passe"),
            ("camille@example.org", "Votre compte est supprimé"),
        ]


def test_after_deleting_the_account_the_resident_is_logged_out(app, camille_client):
    response = erase(camille_client)

    assert response.headers["Location"] == "/"
    assert camille_client.get("/compte/profil").status_code == 302
    assert "Votre compte est supprimé." in page_text(camille_client.get("/", follow_redirects=True))


def test_other_devices_and_remember_me_cookies_are_logged_out_too(app, camille_client):
    laptop = app.test_client()
    laptop.post("/compte/connexion", data={"email": "camille@example.org", "password": PASSWORD, "remember": "y"})
    laptop.delete_cookie("session", domain="localhost")
    assert laptop.get("/compte/profil").status_code == 200  # through the remember cookie alone

    erase(camille_client)

    laptop.delete_cookie("session", domain="localhost")
    assert laptop.get("/compte/profil").status_code == 302


def test_erased_account_can_no_longer_log_in_and_its_address_can_register_again(app, camille_client, camille, outbox):
    erase(camille_client)
    visitor = app.test_client()

    assert login(visitor, "camille@example.org").status_code == 200
    assert login(visitor, f"erased-{camille}@invalid").status_code == 200
    assert visitor.post("/compte/mot-de-passe-oublie", data={"email": f"erased-{camille}@invalid"}).status_code == 200
    assert outbox.to(f"erased-{camille}@invalid") == []

    response = visitor.post(
        "/compte/inscription",
        data={
            "display_name": "Camille",
            "email": "camille@example.org",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "accept_terms": "y",
        },
    )
    assert response.status_code == 200
    with app.app_context():
        new = db.session.scalars(select(User).filter_by(email="camille@example.org")).one()
        assert new.id != camille
        assert new.erased_at is None


def test_every_loaded_module_erases_in_every_territory_even_where_it_is_switched_off(
    app, camille_client, camille, lomme
):
    lomme_item = add_item(app, lomme, "Vélo de Camille à Lomme", camille)
    set_module(app, "lomme", "sample", enabled=False)

    erase(camille_client)

    with app.app_context():
        assert db.session.get(SampleItem, lomme_item).owner_id is None


def test_erasing_detaches_the_persons_messages_and_keeps_the_others(app, ctx, camille):
    dominique = create_user(app, "dominique@example.org", "Dominique", libercourt=("resident",))
    write_to(app, "libercourt", camille, dominique, "Merci pour le prêt de la poussette !")
    write_to(app, "libercourt", dominique, camille, "Avec plaisir.")

    gdpr.erase_account(get_registry(), db.session.get(User, camille), PASSWORD)
    db.session.commit()

    messages = db.session.scalars(select(Message).order_by(Message.id)).all()
    assert [m.body for m in messages] == ["Merci pour le prêt de la poussette !", "Avec plaisir."]
    assert [m.author_id for m in messages] == [None, dominique]


def write_to(app, slug: str, author_id: int, recipient_id: int, body: str) -> None:
    with app.app_context():
        start_conversation(
            territory(slug),
            db.session.get(User, author_id),
            with_user=db.session.get(User, recipient_id),
            title="Entraide",
            first_message=body,
        )
        db.session.commit()


class FailingModule:
    """A plugin whose erasure breaks half-way."""

    @hookimpl
    def pc_user_erased(self, territory, user):
        raise RuntimeError("disk full")


def test_erasure_is_all_or_nothing(ctx, camille, libercourt, outbox):
    registry = get_registry()
    failing = FailingModule()
    registry.pm.register(failing)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            gdpr.erase_account(registry, db.session.get(User, camille), PASSWORD)
        db.session.rollback()
    finally:
        registry.pm.unregister(failing)

    user = db.session.get(User, camille)
    assert (user.display_name, user.email, user.erased_at) == ("Camille", "camille@example.org", None)
    assert len(user.memberships) == 2
    assert db.session.scalars(select(SampleItem.owner_id)).all() == [camille]
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1
    assert outbox.messages() == []


# -- the other parts of the platform: uploads, organisations --------------------------------------------------------


def test_profile_photo_is_listed_in_the_export_and_deleted_with_the_account(app, camille_client, camille):
    pytest.importorskip("platformcoop.media", reason="uploads are not installed")
    from PIL import Image
    from werkzeug.datastructures import FileStorage

    from platformcoop.media.models import Upload
    from platformcoop.media.services import set_avatar

    png = io.BytesIO()
    Image.new("RGB", (120, 80), (20, 120, 40)).save(png, "PNG")
    with app.test_request_context():
        set_avatar(db.session.get(User, camille), FileStorage(io.BytesIO(png.getvalue()), "moi.png", "image/png"))
        db.session.commit()

    [upload] = unzip(camille_client.post(EXPORT_URL))["fichiers.json"]["uploads"]
    assert upload["original_filename"] == "moi.png"

    erase(camille_client)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Upload)) == 0


def test_organisation_places_are_exported_and_left_with_the_account(app, camille_client, camille, libercourt):
    pytest.importorskip("platformcoop.organisations", reason="organisations are not installed")
    from platformcoop.organisations.models import Organisation, OrganisationStaff

    colleague = create_user(app, "dominique@example.org", "Dominique", libercourt=("resident",))
    with app.app_context():
        workshop = Organisation(territory_id=libercourt, kind="repairer", name="L'atelier vélo", status="active")
        db.session.add(workshop)
        db.session.flush()
        db.session.add_all(
            [
                OrganisationStaff(territory_id=libercourt, organisation_id=workshop.id, user_id=camille, role="owner"),
                OrganisationStaff(
                    territory_id=libercourt, organisation_id=workshop.id, user_id=colleague, role="owner"
                ),
            ]
        )
        db.session.commit()
        workshop_id = workshop.id

    account = unzip(camille_client.post(EXPORT_URL))["compte.json"]
    assert [(o["territory"], o["organisation"], o["role"]) for o in account["organisations"]] == [
        ("libercourt", "L'atelier vélo", "owner")
    ]

    erase(camille_client)
    with app.app_context():
        staff = db.session.scalars(select(OrganisationStaff).filter_by(organisation_id=workshop_id)).all()
        assert [(s.user_id, s.role) for s in staff] == [(colleague, "owner")]
        assert db.session.get(Organisation, workshop_id).name == "L'atelier vélo"
