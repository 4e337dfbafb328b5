"""Signed, expiring links (e-mail confirmation, password reset), timed with the platform clock."""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from platformcoop.clock import now

CONFIRM_EMAIL = "confirm-email"
RESET_PASSWORD = "reset-password"
JOIN_INVITATION = "join-invitation"


class _ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:  # itsdangerous reads time here (in the signer); we read our clock
        return int(now().timestamp())


class _Serializer(URLSafeTimedSerializer):
    default_signer = _ClockSigner


class InvalidToken(ValueError):
    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _serializer(purpose: str) -> _Serializer:
    return _Serializer(current_app.config["SECRET_KEY"], salt=f"platformcoop.{purpose}")


def make_token(purpose: str, payload: dict[str, Any]) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age: int) -> dict[str, Any]:
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvalidToken(expired=True)
    except BadSignature:
        raise InvalidToken(expired=False)
