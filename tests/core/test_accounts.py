"""Accounts: registration, confirmation, login, sessions, profile, language, CSRF and redirects."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import func, select

from platformcoop import clock
from platformcoop.accounts.models import User
from platformcoop.extensions import db
from tests.conftest import PASSWORD, create_user, is_postgres, login, make_app, reset_schema

NEW_PASSWORD = "trois chats roux dans la grange"


def registration(email: str, password: str = PASSWORD, name: str = "Camille") -> dict[str, str]:
    return {
        "display_name": name,
        "email": email,
        "password": password,
        "password_confirm": password,
        "accept_terms": "y",
    }


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def same_page(response, email: str) -> str:
    """The page's text with the e-mail address and the CSRF tokens blanked out."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", page_text(response).replace(email, "@"))


def user_by_email(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalars(select(User).filter_by(email=email)).one_or_none()
        if user is not None:
            db.session.expunge(user)
        return user


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def confirmation_path(outbox, email: str) -> str:
    [link] = [link for link in outbox.links(email) if "/compte/confirmation/" in link]
    return urlsplit(link).path


def is_logged_in(client) -> bool:
    return client.get("/compte/profil").status_code == 200


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


# -- registration and enumeration -------------------------------------------------------------------------------------


def test_registering_with_a_taken_email_shows_the_same_page_and_warns_the_owner(app, client, outbox):
    create_user(app, "owner@example.org", "Owner")

    new = client.post("/compte/inscription", data=registration("newcomer@example.org"))
    taken = client.post("/compte/inscription", data=registration("owner@example.org", name="Intrus"))

    assert new.status_code == taken.status_code == 200
    assert same_page(new, "newcomer@example.org") == same_page(taken, "owner@example.org")
    assert user_count(app) == 2
    assert user_by_email(app, "owner@example.org").display_name == "Owner"
    [warning] = outbox.to("owner@example.org")
    assert "déjà" in outbox.body(warning)
    assert not any("/compte/confirmation/" in link for link in outbox.links("owner@example.org"))


def test_forgot_password_shows_the_same_page_whether_the_account_exists_or_not(app, client, outbox):
    create_user(app, "owner@example.org")

    known = client.post("/compte/mot-de-passe-oublie", data={"email": "owner@example.org"})
    unknown = client.post("/compte/mot-de-passe-oublie", data={"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 200
    # CSRF tokens carry a timestamp: two requests a second apart differ there, and only there.
    assert same_page(known, "owner@example.org") == same_page(unknown, "nobody@example.org")
    assert len(outbox.to("owner@example.org")) == 1
    assert outbox.to("nobody@example.org") == []


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("court", "Le mot de passe doit contenir au moins 10 caractères."),
        ("motdepasse1", "Ce mot de passe est trop facile à deviner."),
        ("camille@example.org", "Ce mot de passe est trop facile à deviner."),
    ],
)
def test_weak_password_is_refused_with_a_french_message(app, client, outbox, password, message):
    response = client.post("/compte/inscription", data=registration("camille@example.org", password))

    assert response.status_code == 200
    assert message in page_text(response)
    assert user_by_email(app, "camille@example.org") is None
    assert outbox.messages() == []


def test_registered_password_is_hashed_with_argon2(app, client):
    client.post("/compte/inscription", data=registration("camille@example.org"))

    password_hash = user_by_email(app, "camille@example.org").password_hash
    assert password_hash.startswith("$argon2id$")
    assert PASSWORD not in password_hash


# -- e-mail confirmation ----------------------------------------------------------------------------------------------


def test_unconfirmed_user_cannot_log_in_and_gets_a_new_confirmation_mail(app, client, outbox):
    create_user(app, "camille@example.org", confirmed=False)

    response = login(client, "camille@example.org")

    assert response.status_code == 200
    assert "Confirmez d'abord votre adresse e-mail" in page_text(response)
    assert not is_logged_in(client)
    assert client.get(confirmation_path(outbox, "camille@example.org")).status_code == 302
    assert user_by_email(app, "camille@example.org").email_confirmed


def test_confirmation_link_confirms_and_logs_in_once(app, client, outbox):
    client.post("/compte/inscription", data=registration("camille@example.org"))
    path = confirmation_path(outbox, "camille@example.org")

    assert client.get(path).status_code == 302
    assert user_by_email(app, "camille@example.org").email_confirmed
    assert is_logged_in(client)

    stranger = app.test_client()
    again = stranger.get(path)
    assert again.headers["Location"] == "/compte/connexion"
    assert not is_logged_in(stranger)


def test_confirmation_link_expires(app, client, outbox, frozen_clock):
    client.post("/compte/inscription", data=registration("camille@example.org"))
    path = confirmation_path(outbox, "camille@example.org")

    with clock.travel(timedelta(seconds=app.config["EMAIL_CONFIRM_MAX_AGE"] + 1)):
        response = client.get(path)
        assert response.headers["Location"] == "/compte/connexion"
        assert "Ce lien de confirmation a expiré" in page_text(client.get("/compte/connexion"))

    assert not user_by_email(app, "camille@example.org").email_confirmed
    assert not is_logged_in(client)


def test_confirmation_brings_the_resident_back_to_the_page_they_came_from(app, client, outbox, libercourt):
    client.post("/compte/inscription?next=/libercourt/", data=registration("camille@example.org"))

    response = client.get(confirmation_path(outbox, "camille@example.org"))

    assert response.headers["Location"] == "/libercourt/"


# -- sessions -------------------------------------------------------------------------------------------------------


def test_wrong_password_is_refused_with_a_french_message(app, client):
    create_user(app, "camille@example.org")

    response = login(client, "camille@example.org", "pas le bon mot de passe")

    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in page_text(response)
    assert not is_logged_in(client)


def test_remember_me_sets_a_remember_cookie(app, client):
    create_user(app, "camille@example.org")

    client.post("/compte/connexion", data={"email": "camille@example.org", "password": PASSWORD, "remember": "y"})

    assert client.get_cookie("remember_token") is not None


def test_login_without_remember_me_sets_no_remember_cookie(app, client):
    create_user(app, "camille@example.org")

    login(client, "camille@example.org")

    assert is_logged_in(client)
    assert client.get_cookie("remember_token") is None


def change_password(client, current: str = PASSWORD, new: str = NEW_PASSWORD):
    return client.post(
        "/compte/profil/mot-de-passe",
        data={"pw-current_password": current, "pw-password": new, "pw-password_confirm": new},
    )


def test_password_change_logs_out_the_other_sessions(app):
    create_user(app, "camille@example.org")
    phone, laptop = app.test_client(), app.test_client()
    login(phone, "camille@example.org")
    login(laptop, "camille@example.org")
    token_before = user_by_email(app, "camille@example.org").session_token

    assert change_password(phone).status_code == 302

    assert user_by_email(app, "camille@example.org").session_token != token_before
    assert is_logged_in(phone)
    assert not is_logged_in(laptop)


def test_password_change_voids_remember_me_cookies(app):
    create_user(app, "camille@example.org")
    phone, laptop = app.test_client(), app.test_client()
    login(phone, "camille@example.org")
    laptop.post("/compte/connexion", data={"email": "camille@example.org", "password": PASSWORD, "remember": "y"})
    laptop.delete_cookie("session", domain="localhost")
    assert is_logged_in(laptop)  # through the remember cookie alone
    laptop.delete_cookie("session", domain="localhost")

    change_password(phone)

    assert not is_logged_in(laptop)


def test_password_change_with_a_wrong_current_password_is_refused(app, client):
    create_user(app, "camille@example.org")
    login(client, "camille@example.org")
    token_before = user_by_email(app, "camille@example.org").session_token

    response = change_password(client, current="pas le bon mot de passe")

    assert response.status_code == 200
    assert "Le mot de passe actuel n'est pas le bon." in page_text(response)
    assert user_by_email(app, "camille@example.org").session_token == token_before


def test_logout_is_post_only(app, client):
    create_user(app, "camille@example.org")
    login(client, "camille@example.org")

    assert client.get("/compte/deconnexion").status_code == 405
    assert is_logged_in(client)

    assert client.post("/compte/deconnexion").status_code == 302
    assert not is_logged_in(client)


# -- profile and language ---------------------------------------------------------------------------------------------


def test_resident_edits_their_profile(app, client):
    create_user(app, "camille@example.org", "Camille")
    login(client, "camille@example.org")

    response = client.post(
        "/compte/profil",
        data={"display_name": "Camille R.", "phone": "06 12 34 56 78", "neighbourhood": "59160", "locale": "en"},
    )

    assert response.status_code == 302
    user = user_by_email(app, "camille@example.org")
    assert (user.display_name, user.phone, user.neighbourhood, user.locale) == (
        "Camille R.",
        "06 12 34 56 78",
        "59160",
        "en",
    )


def test_profile_with_an_invalid_phone_is_refused_and_not_saved(app, client):
    create_user(app, "camille@example.org", "Camille")
    login(client, "camille@example.org")

    response = client.post(
        "/compte/profil",
        data={"display_name": "Camille R.", "phone": "appelez-moi", "neighbourhood": "", "locale": "fr"},
    )

    assert response.status_code == 200
    assert "Ce numéro de téléphone n'est pas valide." in page_text(response)
    user = user_by_email(app, "camille@example.org")
    assert (user.display_name, user.phone) == ("Camille", None)


def test_profile_requires_login(client):
    response = client.get("/compte/profil")

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/compte/connexion"


def test_visitor_switches_the_language_of_the_pages(client):
    assert html_lang(client.get("/compte/connexion")) == "fr"

    response = client.post("/compte/langue", data={"locale": "en", "next": "/compte/connexion"})

    assert response.headers["Location"] == "/compte/connexion"
    assert html_lang(client.get("/compte/connexion")) == "en"


def test_logged_in_language_switch_is_saved_on_the_account(app, client):
    create_user(app, "camille@example.org")
    login(client, "camille@example.org")

    client.post("/compte/langue", data={"locale": "en"})

    assert user_by_email(app, "camille@example.org").locale == "en"
    assert html_lang(client.get("/compte/profil")) == "en"
    other_device = app.test_client()
    login(other_device, "camille@example.org")
    assert html_lang(other_device.get("/compte/profil")) == "en"


def test_language_not_offered_is_ignored(client):
    client.post("/compte/langue", data={"locale": "de"})

    assert html_lang(client.get("/compte/connexion")) == "fr"


# -- CSRF and redirects -----------------------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(tmp_path):
    """An app with CSRF protection on, as in production. On SQLite it gets its own database."""
    application = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    if not is_postgres():
        reset_schema(application)
    yield application
    with application.app_context():
        db.engine.dispose()


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)


def test_csrf_token_is_required_on_forms_when_enabled(csrf_app):
    create_user(csrf_app, "camille@example.org")
    client = csrf_app.test_client()

    refused = client.post("/compte/connexion", data={"email": "camille@example.org", "password": PASSWORD})
    assert refused.status_code == 400
    assert not is_logged_in(client)

    token = csrf_token(client.get("/compte/connexion").get_data(as_text=True))
    accepted = client.post(
        "/compte/connexion", data={"email": "camille@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert accepted.status_code == 302
    assert is_logged_in(client)


def test_logout_without_csrf_token_is_refused_when_enabled(csrf_app):
    create_user(csrf_app, "camille@example.org")
    client = csrf_app.test_client()
    token = csrf_token(client.get("/compte/connexion").get_data(as_text=True))
    client.post("/compte/connexion", data={"email": "camille@example.org", "password": PASSWORD, "csrf_token": token})

    assert client.post("/compte/deconnexion").status_code == 400
    assert is_logged_in(client)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/\t/evil.example/",
        "/\n/evil.example/",
        " //evil.example/",
        "javascript:alert(1)",
        "http:/evil.example",
    ],
)
def test_login_never_redirects_to_another_site(app, client, target):
    create_user(app, "camille@example.org")

    response = client.post(
        f"/compte/connexion?next={quote(target)}", data={"email": "camille@example.org", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_follows_a_local_next_page(app, client, libercourt):
    create_user(app, "camille@example.org")

    response = client.post(
        "/compte/connexion?next=/libercourt/rejoindre", data={"email": "camille@example.org", "password": PASSWORD}
    )

    assert response.headers["Location"] == "/libercourt/rejoindre"


def test_language_switch_never_redirects_to_another_site(client):
    response = client.post("/compte/langue", data={"locale": "en", "next": "//evil.example/"})

    assert response.headers["Location"] == "/"
