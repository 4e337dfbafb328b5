"""Password hashing (Argon2id) and strength rules."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

_hasher = PasswordHasher()

# A valid hash to verify against when the account does not exist, so that timing does not reveal accounts.
_DUMMY_HASH = _hasher.hash("platformcoop-no-such-account")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problems(password: str, *, min_length: int, user_inputs: list[str] = ()) -> list[str]:
    """French reasons why ``password`` is too weak; empty when it is acceptable."""
    if len(password) < min_length:
        return [f"Le mot de passe doit contenir au moins {min_length} caractères."]
    if len(password) > 200:
        return ["Le mot de passe ne doit pas dépasser 200 caractères."]
    # zxcvbn estimates how fast the password falls to a guessing attack; 3 = "safely unguessable" online.
    score = zxcvbn(password[:100], user_inputs=[i for i in user_inputs if i])["score"]
    if score < 3:
        return [
            "Ce mot de passe est trop facile à deviner. Essayez une phrase de plusieurs mots, "
            "par exemple « velo vert sous la pluie »."
        ]
    return []
