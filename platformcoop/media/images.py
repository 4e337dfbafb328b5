"""Checking an uploaded image by its content and re-encoding it (plain functions on bytes, no database).

What is refused, each with a French message (:class:`MediaError`): an empty file, a file over the byte limit
(counted while reading, so an endless stream is never held in memory), anything Pillow does not recognise as a
JPEG, PNG or WebP image whatever its name or declared type, an image with more pixels than the limit (checked from
the header, before decoding: a "decompression bomb" declares huge dimensions in a tiny file), an image that cannot
be decoded.

What is kept: the pixels only. The image is turned upright from its EXIF orientation, then encoded again (JPEG, or
WebP when it has transparency) without any metadata — no EXIF, so no GPS position, no camera serial, no XMP or
comments. Only the colour profile is kept, so that colours do not shift. Thumbnails are made from the upright image.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
# Recognised only to say "this format is not accepted" rather than "not an image" (headers read, never decoded).
KNOWN_OTHER_FORMATS = ("GIF", "BMP", "TIFF", "ICO")
CHUNK = 64 * 1024
JPEG_QUALITY = 85
WEBP_QUALITY = 85


class MediaError(ValueError):
    """An upload refused, with a French message for the person (shown next to the form field)."""


@dataclass
class Rendition:
    width: int
    height: int
    data: bytes


@dataclass
class PreparedImage:
    """A checked image, re-encoded: the original and its thumbnails (by width), ready to store."""

    content_type: str
    original: Rendition
    thumbnails: dict[int, Rendition] = field(default_factory=dict)
    filename: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.original.data).hexdigest()


def format_megabytes(max_bytes: int) -> str:
    megabytes = max_bytes / (1024 * 1024)
    return f"{megabytes:.0f} Mo" if megabytes >= 1 else f"{max_bytes // 1024} ko"


def read_limited(stream: BinaryIO, max_bytes: int) -> bytes:
    """Read at most ``max_bytes`` from ``stream``; one byte more means the file is too heavy."""
    buffer = bytearray()
    while True:
        chunk = stream.read(min(CHUNK, max_bytes + 1 - len(buffer)))
        if not chunk:
            break
        buffer += chunk
        if len(buffer) > max_bytes:
            raise MediaError(_l("L'image est trop lourde (%(max)s au plus).", max=format_megabytes(max_bytes)))
    if not buffer:
        raise MediaError(_l("Ce fichier est vide."))
    return bytes(buffer)


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Identify ``data`` from its content and check its dimensions, without decoding the pixels yet."""
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError:
        raise _too_many_pixels(max_pixels)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        if _is_other_image_format(data):
            raise MediaError(_l("Ce format d'image n'est pas accepté : envoyez une image JPEG, PNG ou WebP."))
        raise MediaError(_l("Ce fichier n'est pas une image."))
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise _too_many_pixels(max_pixels)
    return image


def _too_many_pixels(max_pixels: int) -> MediaError:
    millions = format(max_pixels / 1_000_000, "g")
    return MediaError(_l("L'image est trop grande (%(max)s millions de pixels au plus).", max=millions))


def _is_other_image_format(data: bytes) -> bool:
    if data[4:12] in {b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"}:  # HEIC/AVIF (phones)
        return True
    try:
        with Image.open(io.BytesIO(data), formats=KNOWN_OTHER_FORMATS):
            return True
    except Exception:
        return False


def _upright_pixels(image: Image.Image) -> Image.Image:
    """Decode, apply the EXIF orientation, and convert to a mode JPEG or WebP can hold."""
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise MediaError(_l("Cette image est abîmée ou incomplète."))
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit greyscale PNG
        image = image.point(lambda value: value / 256).convert("L")
    if _has_alpha(image):
        return image.convert("RGBA")
    return image if image.mode in ("L", "RGB") else image.convert("RGB")


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info


def _encode(image: Image.Image, icc_profile: bytes | None) -> bytes:
    """Encode without metadata: nothing from the source's ``info`` is carried over but the colour profile."""
    image.info = {}
    out = io.BytesIO()
    options = {"icc_profile": icc_profile} if icc_profile else {}
    if image.mode == "RGBA":
        image.save(out, "WEBP", quality=WEBP_QUALITY, method=4, **options)
    else:
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True, **options)
    return out.getvalue()


def prepare_image(
    stream: BinaryIO, *, max_bytes: int, max_pixels: int, thumbnail_widths=(400, 1200), filename: str = ""
) -> PreparedImage:
    """Check an uploaded image and re-encode it; raise :class:`MediaError` when it is refused."""
    data = read_limited(stream, max_bytes)
    source = open_image(data, max_pixels)
    icc_profile = source.info.get("icc_profile")
    image = _upright_pixels(source)
    content_type = "image/webp" if image.mode == "RGBA" else "image/jpeg"
    original = Rendition(image.width, image.height, _encode(image.copy(), icc_profile))
    thumbnails = {}
    for width in sorted(thumbnail_widths):
        if image.width <= width:
            continue
        thumbnail = image.copy()
        thumbnail.thumbnail((width, image.height), Image.Resampling.LANCZOS)
        thumbnails[width] = Rendition(thumbnail.width, thumbnail.height, _encode(thumbnail, icc_profile))
    return PreparedImage(content_type=content_type, original=original, thumbnails=thumbnails, filename=filename)
