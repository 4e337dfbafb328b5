"""Password hashing (Argon2id) and strength rules."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from zxcvbn import zxcvbn

# RFC 9106's recommended low-memory profile in production; the cheapest one only where the configuration asks for it
# (the test suite), because a real hash costs a quarter of a second on a small machine.
PROFILES = {"rfc9106-low-memory": profiles.RFC_9106_LOW_MEMORY, "cheapest-for-tests": profiles.CHEAPEST}


@cache
def _hasher(profile: str) -> tuple[PasswordHasher, str]:
    hasher = PasswordHasher.from_parameters(PROFILES[profile])
    # A valid hash to verify against when the account does not exist, so that timing does not reveal accounts.
    return hasher, hasher.hash("platformcoop-no-such-account")


def _current() -> tuple[PasswordHasher, str]:
    return _hasher(current_app.config["PASSWORD_HASH_PROFILE"])


def hash_password(password: str) -> str:
    return _current()[0].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher, dummy = _current()
    try:
        return hasher.verify(password_hash or dummy, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _current()[0].check_needs_rehash(password_hash)


def password_problems(password: str, *, min_length: int, user_inputs: list[str] = ()) -> list[str]:
    """Reasons (translated) why ``password`` is too weak; empty when it is acceptable."""
    if len(password) < min_length:
        return [
            ngettext(
                "Le mot de passe doit contenir au moins %(num)d caractère.",
                "Le mot de passe doit contenir au moins %(num)d caractères.",
                min_length,
            )
        ]
    if len(password) > 200:
        return [_("Le mot de passe ne doit pas dépasser 200 caractères.")]
    # zxcvbn estimates how fast the password falls to a guessing attack; 3 = "safely unguessable" online.
    score = zxcvbn(password[:100], user_inputs=[i for i in user_inputs if i])["score"]
    if score < 3:
        return [
            _(
                "Ce mot de passe est trop facile à deviner. Essayez une phrase de plusieurs mots, "
                "par exemple « velo vert sous la pluie »."
            )
        ]
    return []
