"""Where uploaded files live: a small storage interface, and its local-directory implementation.

A storage holds immutable blobs under *keys*: relative, slash-separated names that the platform makes up itself
(``ab/cd/abcd…-400.jpg``), never from a user's file name. A key is checked against a strict pattern before it is
turned into a path, and the path must stay inside the storage's root, so ``../`` and absolute paths are impossible.

Another backend (object storage, for a deployment on several hosts) implements the same four methods and is chosen
by ``MEDIA_STORAGE``.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import Flask, current_app

# Segments of lower-case letters and digits, joined by single dots, dashes or underscores; segments joined by "/".
KEY_PATTERN = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*")
MAX_KEY_LENGTH = 200


class InvalidKey(ValueError):
    """A key that could name something outside the storage (or is not one the platform makes)."""


def check_key(key: str) -> str:
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not KEY_PATTERN.fullmatch(key):
        raise InvalidKey(f"invalid storage key {key!r}")
    return key


class Storage(Protocol):
    def save(self, key: str, data: bytes) -> None: ...

    def open(self, key: str) -> BinaryIO:
        """A binary file object; ``FileNotFoundError`` when there is nothing under ``key``."""

    def delete(self, key: str) -> None:
        """Remove the blob; nothing happens when it is already gone."""

    def exists(self, key: str) -> bool: ...


class LocalStorage:
    """Files in a directory (``UPLOADS_DIR``, ``instance/uploads`` by default), written atomically.

    Several web processes may share the directory (a network volume): a file appears complete or not at all.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()

    def path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise InvalidKey(f"storage key {key!r} leaves the storage")
        return path

    def save(self, key: str, data: bytes) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp_name, 0o644)
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()


BACKENDS = {"local": lambda app: LocalStorage(app.config["UPLOADS_DIR"])}


def get_storage(app: Flask | None = None) -> Storage:
    """The app's storage, built on first use from ``MEDIA_STORAGE`` and kept in ``app.extensions``."""
    app = app or current_app
    storage = app.extensions.get("platformcoop_media")
    if storage is None:
        name = app.config["MEDIA_STORAGE"]
        if name not in BACKENDS:
            raise RuntimeError(f"unknown MEDIA_STORAGE {name!r} (known: {', '.join(sorted(BACKENDS))})")
        storage = app.extensions["platformcoop_media"] = BACKENDS[name](app)
    return storage
