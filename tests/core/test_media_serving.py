"""Serving uploads at /media/<key>/<size>: cache headers, private files shown only to those allowed, the profile
photo form."""

from __future__ import annotations

import html
import io
import re

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from platformcoop.accounts.models import User
from platformcoop.extensions import db
from platformcoop.media import store_image
from platformcoop.media.models import Upload
from platformcoop.media.services import AVATAR_PURPOSE
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy import services as territories
from platformcoop.tenancy.models import Territory
from tests.conftest import create_user, login
from tests.core.test_media_images import jpeg_bytes, png_bytes, stored_files, upload_of


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def stored(app, territory_id, owner_id, *, private=False, purpose="", size=(1600, 1200)) -> str:
    """Store an image as ``owner_id`` in the territory; return its key."""
    with app.app_context():
        territory = db.session.get(Territory, territory_id) if territory_id else None
        upload = store_image(
            upload_of(jpeg_bytes(size)), territory, db.session.get(User, owner_id), private=private, purpose=purpose
        )
        db.session.commit()
        return upload.key


def logged_in(app, email_address: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email_address).status_code == 302
    return client


@pytest.fixture
def camille(app, libercourt) -> int:
    return create_user(app, "camille@example.org", "Camille", libercourt=("resident",))


@pytest.fixture
def camille_client(app, camille) -> FlaskClient:
    return logged_in(app, "camille@example.org")


# -- public files ---------------------------------------------------------------------------------------------------


def test_a_public_image_is_served_with_long_immutable_cache_headers(app, client, libercourt, camille):
    key = stored(app, libercourt, camille)

    response = client.get(f"/media/{key}/400")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert Image.open(io.BytesIO(response.data)).size == (400, 300)


def test_every_size_of_an_image_is_served(app, client, libercourt, camille):
    key = stored(app, libercourt, camille)

    sizes = {
        variant: Image.open(io.BytesIO(client.get(f"/media/{key}/{variant}").data)).size
        for variant in ("original", "1200", "400")
    }

    assert sizes == {"original": (1600, 1200), "1200": (1200, 900), "400": (400, 300)}


def test_a_browser_that_has_the_image_gets_not_modified(app, client, libercourt, camille):
    key = stored(app, libercourt, camille)
    etag = client.get(f"/media/{key}/400").headers["ETag"]

    response = client.get(f"/media/{key}/400", headers={"If-None-Match": etag})

    assert response.status_code == 304


def test_a_transparent_image_is_served_as_webp(app, client, libercourt, camille):
    with app.app_context():
        upload = store_image(
            upload_of(png_bytes(mode="RGBA", colour=(0, 0, 0, 0)), "logo.png"),
            db.session.get(Territory, libercourt),
            db.session.get(User, camille),
        )
        db.session.commit()
        key = upload.key

    assert client.get(f"/media/{key}/original").headers["Content-Type"] == "image/webp"


@pytest.mark.parametrize(
    "path",
    [
        "/media/0123456789abcdef0123456789abcdef/original",  # no such upload
        "/media/..%2F..%2Fsecret_key/original",
        "/media/../secret_key",
        "/media/{key}/800",  # not a size we make
        "/media/{key}/..%2F..%2Fsecret_key",
        "/media/{upper}/original",
    ],
)
def test_unknown_or_crafted_addresses_answer_404(app, client, libercourt, camille, path):
    key = stored(app, libercourt, camille)

    response = client.get(path.format(key=key, upper=key.upper()))

    assert response.status_code == 404


# -- private files --------------------------------------------------------------------------------------------------


@pytest.fixture
def private_key(app, libercourt, camille) -> str:
    """Camille's ID document, private, in Libercourt."""
    return stored(app, libercourt, camille, private=True)


def test_the_owner_sees_a_private_file_which_no_cache_keeps(app, camille_client, private_key):
    response = camille_client.get(f"/media/{private_key}/original")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_visitor_gets_404_for_a_private_file_as_for_a_missing_one(app, client, private_key):
    missing_key = "0123456789abcdef0123456789abcdef"
    missing = client.get(f"/media/{missing_key}/original")
    private = client.get(f"/media/{private_key}/original")

    assert private.status_code == missing.status_code == 404
    assert page_text(private).replace(private_key, "KEY") == page_text(missing).replace(missing_key, "KEY")
    assert b"\xff\xd8" not in private.data  # no JPEG bytes


def test_another_resident_gets_404_for_a_private_file(app, private_key):
    create_user(app, "dominique@example.org", "Dominique", libercourt=("resident",))

    response = logged_in(app, "dominique@example.org").get(f"/media/{private_key}/400")

    assert response.status_code == 404


def test_the_territory_administrator_sees_a_private_file(libercourt_admin, private_key):
    response = libercourt_admin.get(f"/media/{private_key}/400")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"


def test_an_administrator_of_another_territory_gets_404(lomme_admin, private_key):
    assert lomme_admin.get(f"/media/{private_key}/400").status_code == 404


def test_the_platform_operator_sees_a_private_file(app, private_key):
    user_id = create_user(app, "operateur@example.org", "Opératrice")
    with app.app_context():
        db.session.get(User, user_id).is_superadmin = True
        db.session.commit()

    assert logged_in(app, "operateur@example.org").get(f"/media/{private_key}/400").status_code == 200


@pytest.fixture
def sample_manager(app, libercourt) -> FlaskClient:
    create_user(app, "gestion@example.org", "Gestionnaire", libercourt=("resident", "sample.manager"))
    return logged_in(app, "gestion@example.org")


def test_a_module_lets_its_managers_see_its_private_files(app, libercourt, camille, sample_manager):
    photo = stored(app, libercourt, camille, private=True, purpose="sample.photo")
    other = stored(app, libercourt, camille, private=True, purpose="account.document")

    assert sample_manager.get(f"/media/{photo}/400").status_code == 200
    assert sample_manager.get(f"/media/{other}/400").status_code == 404  # the module decides for its files only


def test_a_module_switched_off_no_longer_opens_its_files(app, libercourt, camille, sample_manager):
    photo = stored(app, libercourt, camille, private=True, purpose="sample.photo")
    with app.app_context():
        territories.disable_module(get_registry(), db.session.get(Territory, libercourt), "sample")
        db.session.commit()

    assert sample_manager.get(f"/media/{photo}/400").status_code == 404


# -- the profile photo ---------------------------------------------------------------------------------------------


def avatar_count(app, user_id) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Upload).where(Upload.owner_id == user_id, Upload.purpose == AVATAR_PURPOSE)
        )


def send_photo(client: FlaskClient, data: bytes, filename="moi.jpg", content_type="image/jpeg"):
    return client.post(
        "/compte/profil/photo",
        data={"photo-photo": (io.BytesIO(data), filename, content_type)},
        content_type="multipart/form-data",
    )


def test_a_member_adds_a_profile_photo_shown_on_the_profile_page(app, camille, camille_client):
    response = send_photo(camille_client, jpeg_bytes((900, 900), gps=True))

    assert response.status_code == 302
    page = camille_client.get("/compte/profil")
    (src,) = re.findall(r'<img class="avatar" src="([^"]+)"', page.get_data(as_text=True))
    photo = camille_client.get(src)
    assert photo.status_code == 200
    assert Image.open(io.BytesIO(photo.data)).size == (400, 400)
    assert dict(Image.open(io.BytesIO(photo.data)).getexif()) == {}


def test_a_new_profile_photo_replaces_the_old_one_and_its_files(app, camille, camille_client):
    send_photo(camille_client, jpeg_bytes((900, 900)))
    files_of_first = stored_files(app)

    send_photo(camille_client, jpeg_bytes((900, 900), colour=(0, 0, 255)))

    assert avatar_count(app, camille) == 1
    assert len(stored_files(app)) == len(files_of_first)
    assert stored_files(app) != files_of_first


def test_a_file_that_is_not_an_image_is_refused_next_to_the_field(app, camille, camille_client):
    before = stored_files(app)

    response = send_photo(camille_client, b"%PDF-1.4 pas une image", "photo.jpg")

    text = page_text(response)
    assert response.status_code == 200
    assert 'id="photo-photo-erreur"' in text
    assert "Ce fichier n'est pas une image." in text
    assert "Le formulaire contient des erreurs" in text
    assert avatar_count(app, camille) == 0
    assert stored_files(app) == before


def test_a_photo_heavier_than_the_limit_is_refused_with_the_limit(app, camille, camille_client, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_MAX_BYTES", 100 * 1024)

    response = send_photo(camille_client, jpeg_bytes((1000, 1000), noise=True))

    assert "L'image est trop lourde (100 ko au plus)." in page_text(response)
    assert avatar_count(app, camille) == 0


def test_sending_no_file_asks_for_one(app, camille_client):
    response = camille_client.post("/compte/profil/photo", data={}, content_type="multipart/form-data")

    assert "Choisissez une image." in page_text(response)


def test_a_request_larger_than_the_server_accepts_is_refused_before_reading(app, camille_client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 50 * 1024)

    response = send_photo(camille_client, jpeg_bytes((1000, 1000), noise=True))

    assert response.status_code == 413
    assert "Envoi trop volumineux" in page_text(response)


def test_a_member_removes_the_profile_photo(app, camille, camille_client):
    send_photo(camille_client, jpeg_bytes((500, 500)))

    response = camille_client.post("/compte/profil/photo/supprimer")

    assert response.status_code == 302
    assert avatar_count(app, camille) == 0
    assert 'class="avatar"' not in camille_client.get("/compte/profil").get_data(as_text=True)


def test_the_profile_photo_form_needs_a_login(client):
    response = send_photo(client, jpeg_bytes())

    assert response.status_code == 302
    assert "/compte/connexion" in response.headers["Location"]
