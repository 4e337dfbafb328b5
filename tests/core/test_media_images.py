"""Uploaded images: checked by content, limited in bytes and pixels, re-encoded without EXIF, stored with their rows.

The test images are made here with Pillow (no binary file in the repository). The helpers at the top are also used
by ``test_media_serving.py``.
"""

from __future__ import annotations

import hashlib
import io
import struct
import threading
import zlib

import pytest
from flask_wtf import FlaskForm
from PIL import ExifTags, Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from platformcoop.accounts.models import User
from platformcoop.extensions import db
from platformcoop.media import MediaError, delete_upload, store_image
from platformcoop.media.forms import ImageField
from platformcoop.media.images import format_megabytes
from platformcoop.media.models import Upload
from platformcoop.media.services import (
    AVATAR_PURPOSE,
    erase_user_uploads,
    export_user_uploads,
    sanitise_filename,
    set_avatar,
)
from platformcoop.media.storage import InvalidKey, LocalStorage, get_storage
from platformcoop.tenancy import territory_context
from platformcoop.tenancy.models import Territory
from platformcoop.tenancy.scoping import CrossTerritoryWrite
from tests.conftest import create_user

# -- test images --------------------------------------------------------------------------------------------------

LILLE_GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (50.0, 29.0, 12.5),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (2.0, 56.0, 1.0),
}


def jpeg_bytes(size=(640, 480), colour=(200, 30, 30), *, gps=False, orientation=None, noise=False) -> bytes:
    image = Image.effect_noise(size, 100).convert("RGB") if noise else Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Fairphone"
    exif[ExifTags.Base.BodySerialNumber] = "SN-123456"
    if gps:
        exif[ExifTags.IFD.GPSInfo] = LILLE_GPS
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def png_bytes(size=(300, 200), mode="RGB", colour=(20, 120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, "PNG")
    return out.getvalue()


def png_declaring(width: int, height: int, *, full_data: bool = False) -> bytes:
    """A greyscale PNG whose header says ``width`` x ``height``; its data is a few zero rows, or all of them."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    rows = height if full_data else 2
    row = b"\x00" * (width + 1)  # filter byte + pixels
    idat = b"".join(compressor.compress(row) for _ in range(rows)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def upload_of(data: bytes, filename="photo.jpg", content_type="image/jpeg") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type=content_type)


def stored_files(app) -> set[str]:
    root = get_storage(app).root
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def read_stored(app, upload: Upload, variant="original") -> Image.Image:
    with get_storage(app).open(upload.variant_key(variant)) as fh:
        return Image.open(io.BytesIO(fh.read()))


def count_uploads() -> int:
    return db.session.scalar(select(func.count()).select_from(Upload))


@pytest.fixture
def camille(app, libercourt) -> int:
    return create_user(app, "camille@example.org", "Camille", libercourt=("resident",))


@pytest.fixture
def place(ctx, libercourt, camille):
    """(territory, owner) loaded in the test's app context."""
    return db.session.get(Territory, libercourt), db.session.get(User, camille)


# -- what is kept ---------------------------------------------------------------------------------------------------


def test_a_phone_photo_loses_its_gps_position_and_every_exif_tag(app, place):
    territory, owner = place
    original = jpeg_bytes(gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo has a position

    upload = store_image(upload_of(original), territory, owner)
    db.session.commit()

    stored = read_stored(app, upload)
    assert dict(stored.getexif()) == {}
    assert "exif" not in stored.info and "xmp" not in stored.info
    with get_storage(app).open(upload.variant_key("original")) as fh:
        raw = fh.read()
    assert b"Exif" not in raw and b"Fairphone" not in raw and b"SN-123456" not in raw
    assert (upload.content_type, upload.width, upload.height) == ("image/jpeg", 640, 480)


def test_a_sideways_photo_is_stored_upright(app, place):
    territory, owner = place
    # Orientation 6: the camera was turned; viewers rotate the 200x100 pixels a quarter turn clockwise.
    upload = store_image(upload_of(jpeg_bytes((200, 100), orientation=6)), territory, owner)
    db.session.commit()

    assert (upload.width, upload.height) == (100, 200)
    assert read_stored(app, upload).size == (100, 200)


def test_thumbnails_are_400_and_1200_pixels_wide(app, place):
    territory, owner = place
    upload = store_image(upload_of(jpeg_bytes((2000, 1000))), territory, owner)
    db.session.commit()

    assert read_stored(app, upload, "original").size == (2000, 1000)
    assert read_stored(app, upload, "1200").size == (1200, 600)
    assert read_stored(app, upload, "400").size == (400, 200)


def test_a_small_image_is_its_own_thumbnail(app, place):
    territory, owner = place
    before = stored_files(app)

    upload = store_image(upload_of(png_bytes((300, 200))), territory, owner)
    db.session.commit()

    assert upload.variant_key("400") == upload.variant_key("1200") == upload.variant_key("original")
    assert len(stored_files(app) - before) == 1
    assert read_stored(app, upload, "400").size == (300, 200)


def test_a_transparent_png_is_kept_transparent_as_webp(app, place):
    territory, owner = place
    upload = store_image(upload_of(png_bytes(mode="RGBA", colour=(0, 0, 0, 0)), "logo.png"), territory, owner)
    db.session.commit()

    stored = read_stored(app, upload)
    assert upload.content_type == "image/webp"
    assert (stored.format, stored.mode) == ("WEBP", "RGBA")
    assert stored.getpixel((10, 10))[3] == 0


@pytest.mark.parametrize(
    ("mode", "colour", "source_format", "stored_type"),
    [
        ("I;16", 40_000, "PNG", "image/jpeg"),  # a 16-bit greyscale scan
        ("P", 3, "PNG", "image/jpeg"),
        ("CMYK", (0, 0, 0, 0), "JPEG", "image/jpeg"),
        ("RGB", (10, 20, 30), "WEBP", "image/jpeg"),
        ("LA", (10, 0), "PNG", "image/webp"),
    ],
)
def test_images_of_every_accepted_kind_are_stored(app, place, mode, colour, source_format, stored_type):
    out = io.BytesIO()
    Image.new(mode, (50, 40), colour).save(out, source_format)

    upload = store_image(upload_of(out.getvalue(), "scan", "application/octet-stream"), *place)
    db.session.commit()

    assert upload.content_type == stored_type
    assert read_stored(app, upload).size == (50, 40)


def test_the_row_describes_the_stored_file(app, place):
    territory, owner = place
    upload = store_image(upload_of(jpeg_bytes(), filename="../../Vacances à Lomme.jpg"), territory, owner)
    db.session.commit()

    with get_storage(app).open(upload.variant_key("original")) as fh:
        data = fh.read()

    assert upload.size == len(data)
    assert upload.sha256 == hashlib.sha256(data).hexdigest()
    assert upload.original_filename == "Vacances à Lomme.jpg"
    assert "Vacances" not in upload.variant_key("original")
    assert (upload.territory_id, upload.owner_id) == (territory.id, owner.id)
    assert (upload.private, upload.kind) == (False, "image")


def test_file_names_are_cleaned_for_display():
    assert sanitise_filename("C:\\Users\\moi\\photo.jpg") == "photo.jpg"
    assert sanitise_filename("../../etc/passwd\x00.jpg") == "passwd.jpg"
    assert sanitise_filename("  carte\u202e gpj.exe ") == "carte gpj.exe"
    assert sanitise_filename(None) == ""
    assert len(sanitise_filename("a" * 400 + ".jpg")) == 255


# -- what is refused ------------------------------------------------------------------------------------------------


def refused(file, territory, owner) -> str:
    with pytest.raises(MediaError) as caught:
        store_image(file, territory, owner)
    return str(caught.value)


def test_a_text_file_renamed_jpg_is_refused_whatever_the_browser_says(app, place):
    before = stored_files(app)
    text = upload_of(b"Bonjour, ceci n'est pas une photo.\n" * 20, "photo.jpg", "image/jpeg")

    assert refused(text, *place) == "Ce fichier n'est pas une image."
    assert count_uploads() == 0
    assert stored_files(app) == before


def test_a_png_bomb_declaring_ten_billion_pixels_is_refused_before_decoding(app, place):
    bomb = png_declaring(100_000, 100_000)
    assert len(bomb) < 1000

    assert refused(upload_of(bomb, "bombe.png", "image/png"), *place) == (
        "L'image est trop grande (40 millions de pixels au plus)."
    )
    assert count_uploads() == 0


def test_a_compressed_image_above_the_pixel_limit_is_refused(app, place):
    bomb = png_declaring(8_000, 6_000, full_data=True)  # 48 million pixels in about 50 kB
    assert len(bomb) < 100_000

    assert refused(upload_of(bomb, "grande.png", "image/png"), *place) == (
        "L'image est trop grande (40 millions de pixels au plus)."
    )


def test_an_image_heavier_than_the_limit_is_refused(app, place, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_MAX_BYTES", 200 * 1024)
    heavy = jpeg_bytes((1000, 1000), noise=True)
    assert len(heavy) > 200 * 1024

    assert refused(upload_of(heavy), *place) == "L'image est trop lourde (200 ko au plus)."
    assert count_uploads() == 0


class EndlessStream(io.RawIOBase):
    """An upload that never ends (a client streaming forever), counting what was read from it."""

    def __init__(self):
        self.served = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        buffer[:] = b"\xff" * len(buffer)
        self.served += len(buffer)
        return len(buffer)


def test_an_endless_upload_is_cut_at_the_limit_instead_of_being_read_into_memory(app, place):
    stream = EndlessStream()

    assert refused(FileStorage(stream=stream, filename="sans-fin.jpg"), *place) == (
        "L'image est trop lourde (10 Mo au plus)."
    )
    assert stream.served <= app.config["MEDIA_MAX_BYTES"] + 64 * 1024


def test_the_size_limit_is_shown_in_megabytes():
    assert format_megabytes(10 * 1024 * 1024) == "10 Mo"
    assert format_megabytes(512 * 1024) == "512 ko"


def test_a_gif_is_refused_as_a_format_not_accepted(app, place):
    out = io.BytesIO()
    Image.new("P", (20, 20)).save(out, "GIF")

    assert refused(upload_of(out.getvalue(), "anim.gif", "image/gif"), *place) == (
        "Ce format d'image n'est pas accepté : envoyez une image JPEG, PNG ou WebP."
    )


def test_a_truncated_photo_is_refused_as_damaged(app, place):
    photo = jpeg_bytes((800, 600), noise=True)

    assert refused(upload_of(photo[: len(photo) // 2]), *place) == "Cette image est abîmée ou incomplète."


def test_an_empty_file_is_refused(app, place):
    assert refused(upload_of(b""), *place) == "Ce fichier est vide."


# -- files and rows go together ---------------------------------------------------------------------------------------


def test_files_of_an_upload_that_is_rolled_back_are_removed(app, place):
    territory, owner = place
    before = stored_files(app)
    upload = store_image(upload_of(jpeg_bytes((1600, 1200))), territory, owner)
    assert len(stored_files(app) - before) == 3  # original, 1200, 400

    db.session.rollback()

    assert stored_files(app) == before
    assert count_uploads() == 0
    assert not get_storage(app).exists(upload.variant_key("original"))


def test_files_of_an_upload_never_committed_are_removed_when_the_session_ends(app, libercourt, camille):
    before = stored_files(app)
    with app.app_context():
        store_image(upload_of(jpeg_bytes()), db.session.get(Territory, libercourt), db.session.get(User, camille))
        assert stored_files(app) != before
        db.session.remove()  # the end of a request that raised before committing

    assert stored_files(app) == before


def test_a_failed_insert_leaves_no_file(app, place, lomme):
    libercourt_territory, owner = place
    before = stored_files(app)

    # Inside Lomme, a row for Libercourt is refused by the flush guard: the insert fails after the files were written.
    with pytest.raises(CrossTerritoryWrite), territory_context(db.session.get(Territory, lomme)):
        store_image(upload_of(jpeg_bytes()), libercourt_territory, owner)
    db.session.rollback()

    assert stored_files(app) == before
    assert count_uploads() == 0


def test_a_committed_upload_keeps_its_files(app, place):
    territory, owner = place
    upload = store_image(upload_of(jpeg_bytes()), territory, owner)
    key = upload.variant_key("original")
    db.session.commit()
    db.session.remove()

    assert get_storage(app).exists(key)


def test_deleting_an_upload_removes_its_files_once_the_deletion_is_committed(app, place):
    territory, owner = place
    before = stored_files(app)
    upload = store_image(upload_of(jpeg_bytes((1600, 1200))), territory, owner)
    db.session.commit()

    delete_upload(upload)
    db.session.rollback()  # the deletion is abandoned: the files stay
    assert len(stored_files(app) - before) == 3

    delete_upload(db.session.get(Upload, upload.id))
    db.session.commit()
    assert stored_files(app) == before
    assert count_uploads() == 0


def test_residents_uploading_at_the_same_time_each_get_their_own_files(app, libercourt, camille):
    before = stored_files(app)
    errors: list[BaseException] = []

    def send(colour):
        try:
            with app.app_context():
                territory, owner = db.session.get(Territory, libercourt), db.session.get(User, camille)
                store_image(upload_of(jpeg_bytes(colour=colour)), territory, owner)
                db.session.commit()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=send, args=((30 * i, 100, 50),)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with app.app_context():
        uploads = db.session.scalars(select(Upload)).all()
        assert len({upload.key for upload in uploads}) == 6
        assert all(get_storage(app).exists(upload.variant_key("original")) for upload in uploads)
    assert len(stored_files(app) - before) == 12  # the original and its 400 px thumbnail


# -- personal data ---------------------------------------------------------------------------------------------------


def test_a_leaving_member_loses_the_profile_photo_and_private_files_but_not_shared_pictures(app, place):
    territory, owner = place
    before = stored_files(app)
    set_avatar(owner, upload_of(jpeg_bytes()))
    store_image(upload_of(jpeg_bytes()), territory, owner, private=True, purpose="sample.id_card")
    shared = store_image(upload_of(png_bytes()), territory, owner, purpose="sample.photo")
    db.session.commit()
    assert [entry["purpose"] for entry in export_user_uploads(owner)] == [
        AVATAR_PURPOSE,
        "sample.id_card",
        "sample.photo",
    ]

    assert erase_user_uploads(owner) == 2
    db.session.commit()

    assert [upload.id for upload in db.session.scalars(select(Upload))] == [shared.id]
    assert stored_files(app) - before == {shared.variant_key("original")}


# -- the form field ---------------------------------------------------------------------------------------------------


class PhotoForm(FlaskForm):
    photo = ImageField("Photo")


def test_an_optional_image_field_left_empty_is_valid(app):
    with app.test_request_context(method="POST", data={}):
        form = PhotoForm(meta={"csrf": False})

        assert form.validate()
        assert form.photo.prepared is None


def test_an_image_field_keeps_the_checked_image_for_storing(app, place):
    territory, owner = place
    data = {"photo": (io.BytesIO(jpeg_bytes((900, 600))), "chat.jpg", "image/jpeg")}
    with app.test_request_context(method="POST", data=data, content_type="multipart/form-data"):
        form = PhotoForm(meta={"csrf": False})
        assert form.validate()
        assert 'accept="image/jpeg,image/png,image/webp"' in form.photo()

        upload = store_image(form.photo.prepared, territory, owner)

    assert (upload.width, upload.height, upload.original_filename) == (900, 600, "chat.jpg")


# -- the storage ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "../secret_key",
        "ab/../../secret_key",
        "/etc/passwd",
        "ab\\..\\cd",
        "..",
        "",
        "ab//cd.jpg",
        "ab/./cd.jpg",
        "AB/cd.jpg",
        ".hidden",
        "ab/cd.jpg/",
        "ab/cd%2e%2e",
        "ab/c d.jpg",
    ],
)
def test_a_key_that_could_leave_the_storage_is_refused(tmp_path, key):
    storage = LocalStorage(tmp_path / "uploads")

    for action in (storage.exists, storage.open, storage.delete, lambda k: storage.save(k, b"x")):
        with pytest.raises(InvalidKey):
            action(key)
    assert not (tmp_path / "secret_key").exists()


def test_a_symbolic_link_out_of_the_storage_is_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.jpg").write_bytes(b"secret")
    root = tmp_path / "uploads"
    root.mkdir()
    (root / "ab").symlink_to(outside)
    storage = LocalStorage(root)

    with pytest.raises(InvalidKey):
        storage.open("ab/secret.jpg")


def test_the_local_storage_saves_opens_and_deletes(tmp_path):
    storage = LocalStorage(tmp_path / "uploads")

    storage.save("ab/cd/abcd-original.jpg", b"pixels")
    assert storage.exists("ab/cd/abcd-original.jpg")
    with storage.open("ab/cd/abcd-original.jpg") as fh:
        assert fh.read() == b"pixels"
    assert [p.name for p in (tmp_path / "uploads" / "ab" / "cd").iterdir()] == ["abcd-original.jpg"]  # no temp file

    storage.delete("ab/cd/abcd-original.jpg")
    storage.delete("ab/cd/abcd-original.jpg")  # already gone: nothing happens
    assert not storage.exists("ab/cd/abcd-original.jpg")
    with pytest.raises(FileNotFoundError):
        storage.open("ab/cd/abcd-original.jpg")


def test_uploads_go_to_the_instance_folder_by_default(app, instance_dir):
    assert get_storage(app).root == (instance_dir / "uploads").resolve()
