"""Configuration: every key is declared once here, with its type, default and meaning.

Values are read, last one wins, from:
1. the defaults below;
2. ``instance/config.toml`` (or ``instance/config.py``);
3. ``PLATFORMCOOP_<KEY>`` environment variables (``DATABASE_URL`` is also read unprefixed);
4. the ``config`` mapping given to ``create_app`` (tests).

A key that is not declared is refused, so that a typo in ``config.toml`` is an error, not a silent default.
"""

from __future__ import annotations

import json
import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_PREFIX = "PLATFORMCOOP_"


@dataclass(frozen=True)
class ConfigKey:
    name: str
    type: type
    default: Any
    doc: str


DECLARED: tuple[ConfigKey, ...] = (
    ConfigKey("SECRET_KEY", str, None, "Signs sessions and links. Generated into instance/secret_key if unset."),
    ConfigKey(
        "DATABASE_URL",
        str,
        None,
        "SQLAlchemy URL; SQLite file instance/platformcoop.sqlite when unset. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    ),
    ConfigKey("PLUGINS", list, None, "Allow-list of module names to load; None loads every installed module."),
    ConfigKey("BASE_URL", str, "http://127.0.0.1:5000", "Public address, used in e-mails sent outside a request."),
    ConfigKey("DEFAULT_LOCALE", str, "fr", "Language when neither the user nor the territory chooses one."),
    ConfigKey("LOCALES", list, ["fr", "en"], "Languages offered to users."),
    ConfigKey("DEFAULT_TIMEZONE", str, "Europe/Paris", "Timezone of new territories."),
    ConfigKey(
        "MAIL_BACKEND",
        str,
        "file",
        "How queued e-mail leaves the outbox table: 'file' (.eml files in MAIL_OUTBOX_DIR) or 'smtp'.",
    ),
    ConfigKey("MAIL_OUTBOX_DIR", str, None, "Folder of the file mail backend; instance/outbox when unset."),
    ConfigKey("MAIL_FROM", str, "PlatformCoop <ne-pas-repondre@platformcoop.local>", "Sender of e-mails."),
    ConfigKey("MAIL_SMTP_HOST", str, "localhost", "SMTP server of the smtp mail backend."),
    ConfigKey("MAIL_SMTP_PORT", int, 25, "Its port (587 with STARTTLS, 465 with SSL)."),
    ConfigKey("MAIL_SMTP_USERNAME", str, None, "SMTP login; none when unset."),
    ConfigKey("MAIL_SMTP_PASSWORD", str, None, "SMTP password (keep it in the environment, not in git)."),
    ConfigKey("MAIL_SMTP_STARTTLS", bool, False, "Upgrade the SMTP connection with STARTTLS."),
    ConfigKey("MAIL_SMTP_SSL", bool, False, "Connect with implicit TLS (SMTPS) instead."),
    ConfigKey("MAIL_SMTP_TIMEOUT", int, 30, "Seconds before a silent SMTP server counts as down."),
    ConfigKey("MAIL_MAX_ATTEMPTS", int, 10, "Tries before a queued e-mail is marked failed (1, 2, 4… minutes apart)."),
    ConfigKey("MAIL_RETRY_MAX_MINUTES", int, 120, "Longest wait between two tries of one e-mail."),
    ConfigKey(
        "MAIL_CLAIM_TIMEOUT_MINUTES",
        int,
        30,
        "A sender that claimed an e-mail and did not report within this time is presumed dead; it is retried.",
    ),
    ConfigKey("MAIL_BATCH_SIZE", int, 20, "E-mails a sender claims at once."),
    ConfigKey(
        "MAIL_DELIVER_AFTER_REQUEST",
        bool,
        True,
        "Send the e-mails a web request queued right after it commits (best effort; the sweep retries failures). "
        "Turn off to leave all sending to the scheduler.",
    ),
    ConfigKey("EMAIL_CONFIRM_MAX_AGE", int, 3 * 24 * 3600, "Seconds an e-mail confirmation link stays valid."),
    ConfigKey("PASSWORD_RESET_MAX_AGE", int, 3600, "Seconds a password reset link stays valid."),
    ConfigKey("PASSWORD_MIN_LENGTH", int, 10, "Minimum password length."),
    ConfigKey(
        "PASSWORD_HASH_PROFILE",
        str,
        "rfc9106-low-memory",
        "Argon2id parameters: rfc9106-low-memory; cheapest-for-tests only in the test suite.",
    ),
    ConfigKey("REMEMBER_COOKIE_DAYS", int, 30, "How long 'remember me' keeps a user logged in."),
    ConfigKey("SESSION_COOKIE_SECURE", bool, False, "Send cookies over HTTPS only (set true in production)."),
    ConfigKey("RATELIMIT_ENABLED", bool, True, "Rate-limit authentication routes."),
    ConfigKey("RATELIMIT_STORAGE_URI", str, "memory://", "Rate-limit counters: memory:// or redis://host:6379."),
    ConfigKey("RATELIMIT_AUTH", str, "10 per minute", "Limit on login, registration and password reset posts."),
    ConfigKey("RATELIMIT_DATA_EXPORT", str, "5 per hour", "Limit on personal data exports (GDPR), per account."),
    ConfigKey(
        "TRUSTED_PROXIES",
        int,
        0,
        "Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host/-Port headers are "
        "trusted (Werkzeug ProxyFix), so that rate limits count the real client. 0: no proxy, headers ignored.",
    ),
    ConfigKey("UPLOADS_DIR", str, None, "Folder of the local media storage; instance/uploads when unset."),
    ConfigKey("MEDIA_STORAGE", str, "local", "Where uploads are stored: 'local' (the folder UPLOADS_DIR)."),
    ConfigKey("MEDIA_MAX_BYTES", int, 10 * 1024 * 1024, "Largest uploaded image, in bytes (counted while reading)."),
    ConfigKey("MEDIA_MAX_PIXELS", int, 40_000_000, "Largest uploaded image, in pixels (width × height)."),
    ConfigKey(
        "MAX_REQUEST_BYTES",
        int,
        50 * 1024 * 1024,
        "Largest request body (a form with several images); larger ones are refused (413) before being read.",
    ),
    ConfigKey(
        "SCHEDULER_IN_PROCESS",
        bool,
        None,
        "Run the scheduler in a thread of the web process. Unset: only under `flask run` (development, and once "
        "under the reloader); never in other CLI commands. Production: false, and run `flask pc scheduler`.",
    ),
    ConfigKey(
        "SCHEDULER_POLL_SECONDS",
        int,
        10,
        "How often a standby scheduler tries to take over, and the active one checks it still holds the lock.",
    ),
    ConfigKey("DAILY_DIGEST_HOUR", int, 7, "Hour (in DEFAULT_TIMEZONE) at which the daily digests are sent."),
    ConfigKey("NOTIFICATION_RETENTION_DAYS", int, 90, "Read notifications older than this are deleted (nightly)."),
    ConfigKey("OUTBOX_RETENTION_DAYS", int, 30, "Sent e-mails are deleted from the outbox this long after sending."),
    ConfigKey("WTF_CSRF_ENABLED", bool, True, "CSRF protection on every form (never off outside tests)."),
    ConfigKey("SQLALCHEMY_ECHO", bool, False, "Log SQL statements."),
    ConfigKey("TESTING", bool, False, "Flask testing mode."),
    ConfigKey("DEBUG", bool, False, "Flask debug mode."),
    ConfigKey("EXTRA_PLUGINS", list, [], "Plugin objects registered directly (tests, embedding)."),
    ConfigKey(
        "ORGANISATION_INVITATION_MAX_AGE",
        int,
        7 * 24 * 3600,
        "Seconds an invitation to join an organisation's staff stays valid.",
    ),
    ConfigKey("HOURS_MAX_RANGES_PER_DAY", int, 4, "Opening ranges offered per weekday on the opening-hours form."),
    ConfigKey(
        "LAST_SEEN_INTERVAL_MINUTES",
        int,
        60,
        "A user's last activity (shown to administrators) is written at most once per this many minutes.",
    ),
    ConfigKey(
        "MESSAGE_NOTIFY_INTERVAL_MINUTES",
        int,
        15,
        "At most one new-message notification (in-app and e-mail) per conversation and recipient in this time.",
    ),
)

_BY_NAME = {key.name: key for key in DECLARED}


class ConfigError(ValueError):
    pass


def _parse_env(key: ConfigKey, raw: str) -> Any:
    if key.type is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on", "oui"}
    if key.type is int:
        return int(raw)
    if key.type is list:
        raw = raw.strip()
        if raw.startswith("["):
            return json.loads(raw)
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def _read_instance_file(instance_path: Path) -> dict[str, Any]:
    toml_file = instance_path / "config.toml"
    py_file = instance_path / "config.py"
    if toml_file.exists():
        with toml_file.open("rb") as fh:
            return tomllib.load(fh)
    if py_file.exists():
        namespace: dict[str, Any] = {}
        exec(compile(py_file.read_text(), str(py_file), "exec"), namespace)
        return {k: v for k, v in namespace.items() if k.isupper()}
    return {}


def _check_known(values: dict[str, Any], origin: str) -> None:
    unknown = sorted(set(values) - set(_BY_NAME))
    if unknown:
        raise ConfigError(f"Unknown configuration key(s) in {origin}: {', '.join(unknown)}")


def _is_extension_key(name: str) -> bool:
    """Keys read by Flask or an extension directly (tests may set them); ours are declared above."""
    from flask import Flask

    return name in Flask.default_config or name.startswith(("SQLALCHEMY_", "WTF_", "RATELIMIT_", "BABEL_"))


def load_config(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the merged configuration mapping (see module docstring for the order)."""
    values: dict[str, Any] = {key.name: key.default for key in DECLARED}

    from_file = _read_instance_file(instance_path)
    _check_known(from_file, "instance configuration")
    values.update(from_file)

    for key in DECLARED:
        raw = os.environ.get(ENV_PREFIX + key.name)
        if raw is None and key.name == "DATABASE_URL":
            raw = os.environ.get("DATABASE_URL")
        if raw is not None:
            values[key.name] = _parse_env(key, raw)

    overrides = dict(overrides or {})
    _check_known({k: v for k, v in overrides.items() if not _is_extension_key(k)}, "create_app")
    values.update(overrides)

    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = f"sqlite:///{instance_path / 'platformcoop.sqlite'}"
    if not values["MAIL_OUTBOX_DIR"]:
        values["MAIL_OUTBOX_DIR"] = str(instance_path / "outbox")
    if not values["UPLOADS_DIR"]:
        values["UPLOADS_DIR"] = str(instance_path / "uploads")
    if not values["SECRET_KEY"]:
        values["SECRET_KEY"] = _instance_secret_key(instance_path)
    return values


def _instance_secret_key(instance_path: Path) -> str:
    """Read the deployment's secret key, creating it on first run (never committed: instance/ is ignored)."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def flask_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Translate our keys into the names Flask and its extensions read."""
    from datetime import timedelta

    settings = dict(values)
    settings["SQLALCHEMY_DATABASE_URI"] = values["DATABASE_URL"]
    settings["BABEL_DEFAULT_LOCALE"] = values["DEFAULT_LOCALE"]
    settings["BABEL_DEFAULT_TIMEZONE"] = "UTC"
    settings["REMEMBER_COOKIE_DURATION"] = timedelta(days=values["REMEMBER_COOKIE_DAYS"])
    settings["REMEMBER_COOKIE_SECURE"] = values["SESSION_COOKIE_SECURE"]
    settings["REMEMBER_COOKIE_HTTPONLY"] = True
    settings["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    settings["SESSION_COOKIE_HTTPONLY"] = True
    settings["SESSION_COOKIE_SAMESITE"] = "Lax"
    settings["RATELIMIT_HEADERS_ENABLED"] = True
    settings.setdefault("MAX_CONTENT_LENGTH", values["MAX_REQUEST_BYTES"])
    if values["DATABASE_URL"].startswith("sqlite"):
        settings.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    else:
        settings.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    return settings
