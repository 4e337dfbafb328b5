"""An uploaded file: who sent it, for which territory, what it is, and where its bytes are stored."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from platformcoop.clock import now
from platformcoop.db_types import UTCDateTime
from platformcoop.extensions import db

if TYPE_CHECKING:
    from platformcoop.tenancy.models import Territory

KIND_IMAGE = "image"
KIND_DOCUMENT = "document"  # reserved for non-image files (not accepted yet)

# Served sizes of an image: the re-encoded original and thumbnails no wider than the number (pixels).
VARIANT_ORIGINAL = "original"
THUMBNAIL_WIDTHS = (400, 1200)
VARIANTS = (VARIANT_ORIGINAL, *(str(width) for width in THUMBNAIL_WIDTHS))

EXTENSIONS = {"image/jpeg": "jpg", "image/webp": "webp"}


class Upload(db.Model):
    """A stored file. Its bytes are in the storage under keys derived from ``key`` (random), never from its name.

    ``territory_id`` is empty for what belongs to the whole deployment (a user's profile photo).
    ``purpose`` is a label the caller chooses (``"account.avatar"``, ``"timebank.child_photo"``) so that a module's
    access rule (``pc_media_access``) recognises its own files.
    """

    __tablename__ = "upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=KIND_IMAGE)
    purpose: Mapped[str] = mapped_column(String(100), default="")
    original_filename: Mapped[str] = mapped_column(String(255), default="")  # sanitised, for display only
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)  # bytes of the stored original
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # of the stored original
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    territory: Mapped[Territory | None] = relationship("Territory")

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.content_type, "bin")

    def variant_key(self, variant: str) -> str:
        """The storage key of one served size. A thumbnail as wide as the image or wider is the original itself."""
        if variant != VARIANT_ORIGINAL:
            if variant not in VARIANTS:
                raise ValueError(f"unknown variant {variant!r}")
            if self.width is None or self.width <= int(variant):
                variant = VARIANT_ORIGINAL
        return f"{self.key[:2]}/{self.key[2:4]}/{self.key}-{variant}.{self.extension}"

    def stored_keys(self) -> list[str]:
        return sorted({self.variant_key(variant) for variant in VARIANTS})

    def __repr__(self) -> str:
        return f"<Upload {self.id} {self.key}>"
