"""Shared fixtures. The same suite runs on SQLite (default) and on PostgreSQL when
``PLATFORMCOOP_TEST_DATABASE_URL`` is set (``make test-pg``).

The schema is built once per run by the real migrations (``flask db upgrade heads``); every test then starts from
empty tables, an empty outbox and fresh rate-limit counters.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage as Message
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from platformcoop import clock, create_app
from platformcoop.accounts import services as accounts
from platformcoop.extensions import db, limiter
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy import services as territories
from platformcoop.tenancy.models import JOIN_APPROVAL, Territory
from tests import sample_plugin

PASSWORD = "velo vert sous la pluie"
SECRET = "tests-only-secret-key-not-for-production"


def database_url(tmp_dir: Path) -> str:
    return os.environ.get("PLATFORMCOOP_TEST_DATABASE_URL") or f"sqlite:///{tmp_dir / 'test.sqlite'}"


def is_postgres() -> bool:
    return bool(os.environ.get("PLATFORMCOOP_TEST_DATABASE_URL", "").startswith("postgresql"))


def make_app(instance: Path, **overrides) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url(instance),
        "MAIL_OUTBOX_DIR": str(instance / "outbox"),
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_PROFILE": "cheapest-for-tests",
        "EXTRA_PLUGINS": [sample_plugin],
        "SERVER_NAME": "localhost",
        "BASE_URL": "http://localhost",
    }
    config.update(overrides)
    return create_app(config, instance_path=instance)


def reset_schema(app: Flask) -> None:
    """Drop everything, then build the schema with the migrations (as production does)."""
    from flask_migrate import upgrade

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(revision="heads")


def empty_tables(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        tables = list(reversed(db.metadata.sorted_tables))
        # DELETE, children first: on a few rows it is much cheaper than TRUNCATE of every table on PostgreSQL.
        with db.engine.begin() as conn:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def app(instance_dir) -> Iterator[Flask]:
    application = make_app(instance_dir)
    reset_schema(application)
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_state(request, app, instance_dir) -> Iterator[None]:
    """Each test starts with empty tables, an empty outbox and fresh counters."""
    outbox = instance_dir / "outbox"
    if outbox.exists():
        for path in outbox.iterdir():
            path.unlink()
    sample_plugin.calls.clear()
    with app.app_context():
        limiter.reset()
    yield
    empty_tables(app)


@pytest.fixture
def ctx(app) -> Iterator[Flask]:
    """An app context for tests that work with the database directly."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def frozen_clock() -> Iterator[datetime]:
    at = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    with clock.frozen(at):
        yield at


# -- people and places -------------------------------------------------------------------------------------------


def create_territory(app: Flask, slug: str, name: str, **kwargs) -> int:
    with app.app_context():
        territory = territories.create_territory(get_registry(), slug=slug, name=name, **kwargs)
        db.session.commit()
        return territory.id


def create_user(app: Flask, email_address: str, name: str = "", *, confirmed: bool = True, **roles_by_slug) -> int:
    """A user, member of the territories given as ``slug=("resident", "admin")``."""
    with app.app_context():
        user = accounts.create_user(email_address, PASSWORD, name or email_address.split("@")[0], confirmed=confirmed)
        for slug, roles in roles_by_slug.items():
            territory = db.session.query(Territory).filter_by(slug=slug).one()
            territories.add_member(territory, user, roles=tuple(roles))
        db.session.commit()
        return user.id


@pytest.fixture
def libercourt(app) -> int:
    return create_territory(app, "libercourt", "Libercourt")


@pytest.fixture
def lomme(app) -> int:
    return create_territory(app, "lomme", "Lomme", kind="commune_associee", join_policy=JOIN_APPROVAL)


@pytest.fixture
def two_territories(libercourt, lomme) -> tuple[int, int]:
    return libercourt, lomme


def login(client: FlaskClient, email_address: str, password: str = PASSWORD):
    return client.post("/compte/connexion", data={"email": email_address, "password": password})


@pytest.fixture
def libercourt_admin(app, libercourt) -> FlaskClient:
    create_user(app, "admin@libercourt.example.org", "Admin Libercourt", libercourt=("resident", "admin"))
    client = app.test_client()
    assert login(client, "admin@libercourt.example.org").status_code == 302
    return client


@pytest.fixture
def lomme_admin(app, lomme) -> FlaskClient:
    create_user(app, "admin@lomme.example.org", "Admin Lomme", lomme=("resident", "admin"))
    client = app.test_client()
    assert login(client, "admin@lomme.example.org").status_code == 302
    return client


# -- the e-mail outbox -------------------------------------------------------------------------------------------


class Outbox:
    """The .eml files the file mail backend wrote."""

    def __init__(self, folder: Path):
        self.folder = folder

    def messages(self) -> list[Message]:
        if not self.folder.exists():
            return []
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(self.folder.glob("*.eml"))
        ]

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages() if m["To"] == address]

    @staticmethod
    def body(message: Message) -> str:
        return message.get_body(("plain",)).get_content()

    def links(self, address: str) -> list[str]:
        return [link for m in self.to(address) for link in re.findall(r"https?://\S+", self.body(m))]


@pytest.fixture
def outbox(instance_dir) -> Outbox:
    return Outbox(instance_dir / "outbox")


# -- compiled translations (what `make translations` does, so that a bare `pytest` works) -------------------------


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations() -> None:
    """Compile each ``messages.po`` whose ``.mo`` is missing or older, in-process, before any app is built."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    for pattern in ("translations", "plugins/*/translations", "tests/sample_plugin/translations"):
        for po in root.glob(f"{pattern}/*/LC_MESSAGES/messages.po"):
            mo = po.with_suffix(".mo")
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name)
            tmp = mo.with_name(f".{mo.name}.{os.getpid()}.tmp")
            with tmp.open("wb") as target:
                write_mo(target, catalog)  # fuzzy entries left out, as pybabel compile does
            os.replace(tmp, mo)  # parallel workers never read a half-written file
