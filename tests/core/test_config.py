"""Configuration: defaults, instance/config.toml, PLATFORMCOOP_* variables, unknown keys, the generated secret key."""

from __future__ import annotations

import stat

import pytest

from platformcoop import create_app
from platformcoop.config import DECLARED, ConfigError, load_config

SECRET = "configured-secret-key-for-this-test"


@pytest.fixture(autouse=True)
def _no_platformcoop_environment(monkeypatch):
    """Start every test from a clean environment: no PLATFORMCOOP_* variable and no DATABASE_URL."""
    for key in DECLARED:
        monkeypatch.delenv(f"PLATFORMCOOP_{key.name}", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)


def write_toml(instance, text: str) -> None:
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "config.toml").write_text(text, encoding="utf-8")


def test_defaults_keep_everything_inside_the_instance_folder(tmp_path):
    values = load_config(tmp_path, {"SECRET_KEY": SECRET})

    assert values["DATABASE_URL"] == f"sqlite:///{tmp_path / 'platformcoop.sqlite'}"
    assert values["MAIL_OUTBOX_DIR"] == str(tmp_path / "outbox")
    assert values["PASSWORD_MIN_LENGTH"] == 10
    assert values["WTF_CSRF_ENABLED"] is True


def test_instance_config_toml_is_read(tmp_path):
    write_toml(tmp_path, 'BASE_URL = "https://entraide.lomme.fr"\nPASSWORD_MIN_LENGTH = 12\nLOCALES = ["fr"]\n')

    values = load_config(tmp_path, {"SECRET_KEY": SECRET})

    assert values["BASE_URL"] == "https://entraide.lomme.fr"
    assert values["PASSWORD_MIN_LENGTH"] == 12
    assert values["LOCALES"] == ["fr"]


def test_instance_config_py_is_read_when_there_is_no_toml(tmp_path):
    (tmp_path / "config.py").write_text('BASE_URL = "https://entraide.libercourt.fr"\nhelper = 1\n')

    assert load_config(tmp_path, {"SECRET_KEY": SECRET})["BASE_URL"] == "https://entraide.libercourt.fr"


def test_environment_variables_override_the_instance_file(tmp_path, monkeypatch):
    write_toml(tmp_path, 'PASSWORD_MIN_LENGTH = 12\nRATELIMIT_ENABLED = true\nBASE_URL = "https://a.example"\n')
    monkeypatch.setenv("PLATFORMCOOP_PASSWORD_MIN_LENGTH", "14")
    monkeypatch.setenv("PLATFORMCOOP_RATELIMIT_ENABLED", "non")
    monkeypatch.setenv("PLATFORMCOOP_LOCALES", "fr, en")
    monkeypatch.setenv("PLATFORMCOOP_SESSION_COOKIE_SECURE", "oui")

    values = load_config(tmp_path, {"SECRET_KEY": SECRET})

    assert values["PASSWORD_MIN_LENGTH"] == 14
    assert values["RATELIMIT_ENABLED"] is False
    assert values["LOCALES"] == ["fr", "en"]
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["BASE_URL"] == "https://a.example"


def test_database_url_is_also_read_without_the_prefix(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://coop@db/platformcoop")

    assert load_config(tmp_path, {"SECRET_KEY": SECRET})["DATABASE_URL"] == "postgresql+psycopg://coop@db/platformcoop"


def test_prefixed_database_url_wins_over_the_unprefixed_one(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://coop@db/other")
    monkeypatch.setenv("PLATFORMCOOP_DATABASE_URL", "postgresql+psycopg://coop@db/platformcoop")

    assert load_config(tmp_path, {"SECRET_KEY": SECRET})["DATABASE_URL"] == "postgresql+psycopg://coop@db/platformcoop"


def test_create_app_applies_the_instance_file_and_the_environment(tmp_path, monkeypatch):
    write_toml(tmp_path, 'BASE_URL = "https://entraide.lomme.fr"\n')
    monkeypatch.setenv("PLATFORMCOOP_PASSWORD_MIN_LENGTH", "16")

    app = create_app({"SECRET_KEY": SECRET}, instance_path=tmp_path)

    assert app.config["BASE_URL"] == "https://entraide.lomme.fr"
    assert app.config["PASSWORD_MIN_LENGTH"] == 16
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'platformcoop.sqlite'}"


def test_unknown_key_in_config_toml_is_refused(tmp_path):
    write_toml(tmp_path, 'BASE_URL = "https://entraide.lomme.fr"\nPASWORD_MIN_LENGTH = 12\n')

    with pytest.raises(ConfigError, match="PASWORD_MIN_LENGTH"):
        load_config(tmp_path, {"SECRET_KEY": SECRET})


def test_unknown_key_given_to_create_app_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="MAIL_BACKEN"):
        load_config(tmp_path, {"SECRET_KEY": SECRET, "MAIL_BACKEN": "smtp"})


def test_keys_of_flask_and_its_extensions_may_be_given_to_create_app(tmp_path):
    values = load_config(tmp_path, {"SECRET_KEY": SECRET, "SERVER_NAME": "localhost", "WTF_CSRF_TIME_LIMIT": 60})

    assert (values["SERVER_NAME"], values["WTF_CSRF_TIME_LIMIT"]) == ("localhost", 60)


def test_secret_key_is_generated_once_into_the_instance_folder_with_private_permissions(tmp_path):
    instance = tmp_path / "instance"

    first = load_config(instance)["SECRET_KEY"]

    key_file = instance / "secret_key"
    assert key_file.read_text() == first
    assert len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_generated_secret_key_is_reused_on_the_next_start(tmp_path):
    first = load_config(tmp_path)["SECRET_KEY"]

    assert load_config(tmp_path)["SECRET_KEY"] == first
    assert create_app(instance_path=tmp_path).config["SECRET_KEY"] == first


def test_configured_secret_key_writes_no_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PLATFORMCOOP_SECRET_KEY", SECRET)

    assert load_config(tmp_path)["SECRET_KEY"] == SECRET
    assert not (tmp_path / "secret_key").exists()
