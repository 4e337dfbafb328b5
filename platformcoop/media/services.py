"""Storing, deleting and showing uploads: the rules, for views, modules and the CLI alike.

Files and rows go together. ``store_image`` writes the files first, then adds the row; the files are remembered by
the database session and removed again if the transaction does not commit (an insert fails, the request errors and
rolls back), so a file never outlives a row that was never saved. ``delete_upload`` deletes the row and removes the
files only once that deletion is committed, so a row never points at missing files.

Who may see a private file (:func:`can_view`): its owner, the territory's administrators, the platform operator,
and whoever a module the territory uses allows through the ``pc_media_access`` hook. Everyone may see a public one.
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import unicodedata
from typing import BinaryIO

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from platformcoop.accounts.permissions import can
from platformcoop.extensions import db
from platformcoop.media.images import MediaError, PreparedImage, prepare_image
from platformcoop.media.models import KIND_IMAGE, THUMBNAIL_WIDTHS, VARIANT_ORIGINAL, Upload
from platformcoop.media.storage import Storage, get_storage
from platformcoop.plugins.manager import get_registry

log = logging.getLogger(__name__)

AVATAR_PURPOSE = "account.avatar"

__all__ = [
    "AVATAR_PURPOSE",
    "MediaError",
    "avatar_of",
    "can_view",
    "check_image",
    "delete_upload",
    "erase_user_uploads",
    "export_user_uploads",
    "media_url",
    "set_avatar",
    "store_image",
]


def sanitise_filename(name: str | None) -> str:
    """The name the person's device gave the file, fit for display: no folders, control characters or excess."""
    name = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip(" .")
    return name[:255]


def check_image(file) -> PreparedImage:
    """Check and re-encode an uploaded image (``FileStorage``, file object or bytes) with the configured limits."""
    if isinstance(file, PreparedImage):
        return file
    config = current_app.config
    stream, filename = _stream_and_name(file)
    return prepare_image(
        stream,
        max_bytes=config["MEDIA_MAX_BYTES"],
        max_pixels=config["MEDIA_MAX_PIXELS"],
        thumbnail_widths=THUMBNAIL_WIDTHS,
        filename=sanitise_filename(filename),
    )


def _stream_and_name(file) -> tuple[BinaryIO, str]:
    if file is None:
        raise MediaError(_l("Choisissez une image."))
    if isinstance(file, bytes | bytearray):
        return io.BytesIO(file), ""
    stream = getattr(file, "stream", file)  # werkzeug FileStorage, or a file object
    if getattr(stream, "seekable", lambda: False)():
        stream.seek(0)
    return stream, getattr(file, "filename", None) or getattr(file, "name", "") or ""


def store_image(
    file, territory, owner, private: bool = False, *, purpose: str = "", storage: Storage | None = None
) -> Upload:
    """Check, re-encode and store an image; return its ``Upload`` row (added and flushed, not committed).

    ``file`` is an uploaded ``FileStorage``, a file object, bytes, or what an :class:`ImageField` prepared.
    ``territory`` is ``None`` for what belongs to the whole deployment (a profile photo). Raises
    :class:`MediaError` (a French message) when the image is refused; nothing is stored then.
    """
    prepared = check_image(file)
    storage = storage or get_storage()
    upload = Upload(
        key=secrets.token_hex(16),
        territory_id=getattr(territory, "id", None),
        owner_id=getattr(owner, "id", None),
        kind=KIND_IMAGE,
        purpose=purpose,
        original_filename=prepared.filename,
        content_type=prepared.content_type,
        size=len(prepared.original.data),
        width=prepared.original.width,
        height=prepared.original.height,
        sha256=prepared.sha256,
        private=private,
    )
    renditions = {VARIANT_ORIGINAL: prepared.original}
    renditions.update({str(width): rendition for width, rendition in prepared.thumbnails.items()})
    written: list[str] = []
    try:
        for variant, rendition in renditions.items():
            key = upload.variant_key(variant)
            storage.save(key, rendition.data)
            written.append(key)
        _remove_unless_committed(db.session, storage, written)
        db.session.add(upload)
        db.session.flush()
    except BaseException:
        for key in written:
            _delete_quietly(storage, key)
        raise
    return upload


def delete_upload(upload: Upload, storage: Storage | None = None) -> None:
    """Delete the row now and the files once the deletion is committed."""
    storage = storage or get_storage()
    db.session.info.setdefault(_DOOMED, []).extend((storage, key) for key in upload.stored_keys())
    db.session.delete(upload)


def can_view(user, upload: Upload) -> bool:
    if not upload.private:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.id == upload.owner_id or user.is_superadmin:
        return True
    territory = upload.territory
    if territory is None:
        return False
    if can(user, "territory.admin", territory):
        return True
    answers = get_registry().hook(territory, "pc_media_access")(territory=territory, user=user, upload=upload)
    return any(answer is True for answer in answers)


def media_url(upload: Upload | None, size: str | int = VARIANT_ORIGINAL) -> str | None:
    """The address of an upload at one of its sizes (``"original"``, 400, 1200); ``None`` for no upload."""
    if upload is None:
        return None
    return url_for("media.serve", key=upload.key, variant=str(size))


# -- profile photo ------------------------------------------------------------------------------------------------


def avatar_of(user) -> Upload | None:
    if user is None or getattr(user, "id", None) is None:
        return None
    return db.session.scalar(
        select(Upload)
        .where(Upload.owner_id == user.id, Upload.purpose == AVATAR_PURPOSE, Upload.territory_id.is_(None))
        .order_by(Upload.id.desc())
        .limit(1)
    )


def set_avatar(user, file) -> Upload:
    """Replace the user's profile photo (public, deployment-wide: the same in every territory)."""
    previous = avatar_of(user)
    upload = store_image(file, None, user, private=False, purpose=AVATAR_PURPOSE)
    if previous is not None:
        delete_upload(previous)
    return upload


def remove_avatar(user) -> bool:
    previous = avatar_of(user)
    if previous is None:
        return False
    delete_upload(previous)
    return True


# -- personal data (GDPR) ---------------------------------------------------------------------------------------------


def uploads_of(user) -> list[Upload]:
    return list(db.session.scalars(select(Upload).where(Upload.owner_id == user.id).order_by(Upload.id)))


def export_user_uploads(user) -> list[dict]:
    """What the personal data export says about the files a person sent (not the files themselves)."""
    return [
        {
            "purpose": upload.purpose,
            "original_filename": upload.original_filename,
            "content_type": upload.content_type,
            "width": upload.width,
            "height": upload.height,
            "private": upload.private,
            "created_at": upload.created_at,
        }
        for upload in uploads_of(user)
    ]


def erase_user_uploads(user) -> int:
    """Delete a leaving person's profile photo and private files; public files of shared content stay (modules
    decide about them in ``pc_user_erased``). Returns how many were deleted; the caller commits."""
    doomed = [u for u in uploads_of(user) if u.private or u.purpose == AVATAR_PURPOSE]
    for upload in doomed:
        delete_upload(upload)
    return len(doomed)


# -- files follow the transaction -----------------------------------------------------------------------------------

_WRITTEN = "platformcoop.media.written"  # files written in this transaction: removed unless it commits
_DOOMED = "platformcoop.media.doomed"  # files of deleted rows: removed once the deletion commits


def _remove_unless_committed(session: Session, storage: Storage, keys: list[str]) -> None:
    session.info.setdefault(_WRITTEN, []).extend((storage, key) for key in keys)


def _delete_quietly(storage: Storage, key: str) -> None:
    try:
        storage.delete(key)
    except OSError:  # a leftover file is harmless; a failed request because of it is not
        log.exception("could not delete stored file %s", key)


@event.listens_for(Session, "after_commit")
def _files_follow_commit(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    for storage, key in session.info.pop(_DOOMED, []):
        _delete_quietly(storage, key)


@event.listens_for(Session, "after_transaction_end")
def _files_follow_rollback(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return
    for storage, key in session.info.pop(_WRITTEN, []):
        _delete_quietly(storage, key)
    session.info.pop(_DOOMED, None)
