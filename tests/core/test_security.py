"""Security: headers on every response, templates without inline code, cookies, and rate limits on authentication
(acceptance scenario 6 of the core specification), behind a proxy and with counters in Redis."""

from __future__ import annotations

import html
import re
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import limits.storage.memory
import pytest
from flask import Flask

from platformcoop.extensions import db, limiter
from tests.conftest import PASSWORD, create_user, login, make_app

ROOT = Path(__file__).resolve().parents[2]
WRONG = "pas le bon mot de passe"


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


# -- security headers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/libercourt/",
        "/compte/connexion",
        "/libercourt/exemple/",
        "/page-qui-n-existe-pas",
        "/static/css/site.css",
    ],
)
def test_every_response_carries_the_security_headers(client, libercourt, path):
    response = client.get(path)

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    # the bike-repair search may ask for the position ("Autour de moi"); nothing else may
    assert response.headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=(self)"
    csp = csp_directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]


def test_https_responses_tell_browsers_to_stay_on_https(client, libercourt):
    assert client.get("/libercourt/", base_url="https://localhost").headers["Strict-Transport-Security"] == (
        "max-age=31536000"
    )
    assert "Strict-Transport-Security" not in client.get("/libercourt/").headers


def template_files() -> list[Path]:
    folders = [ROOT / "templates", ROOT / "platformcoop", ROOT / "plugins", ROOT / "tests" / "sample_plugin"]
    return sorted(path for folder in folders for path in folder.rglob("*.html") if "templates" in path.parts)


INLINE_CODE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "style element": re.compile(r"<style[\s>]", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_templates_are_found():
    """Guards the test below against an empty list."""
    names = {path.relative_to(ROOT).as_posix() for path in template_files()}
    assert {"templates/base.html", "templates/accounts/erase.html"} <= names


def test_no_template_holds_inline_code_that_the_content_security_policy_would_block():
    found = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in template_files()
        for what, pattern in INLINE_CODE.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]

    assert found == []


# -- cookies ------------------------------------------------------------------------------------------------------


def set_cookies(response) -> dict[str, str]:
    """name -> the whole Set-Cookie header."""
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def cookie_flags(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


@pytest.fixture
def own_app(app, tmp_path) -> Iterator[callable]:
    """Builds apps with other settings on the suite's database; the rate limiter (one per process, as Flask-Limiter
    is) gets its storage and settings back afterwards."""
    saved = dict(vars(limiter))
    built: list[Flask] = []

    def build(**overrides) -> Flask:
        other = make_app(tmp_path, DATABASE_URL=app.config["DATABASE_URL"], **overrides)
        built.append(other)
        return other

    yield build
    for other in built:
        with other.app_context():
            db.engine.dispose()
    vars(limiter).clear()
    vars(limiter).update(saved)


def test_session_and_remember_cookies_are_http_only_and_same_site(app, client):
    create_user(app, "camille@example.org")

    response = client.post(
        "/compte/connexion", data={"email": "camille@example.org", "password": PASSWORD, "remember": "y"}
    )

    cookies = set_cookies(response)
    for name in ("session", "remember_token"):
        assert {"httponly", "samesite=lax"} <= cookie_flags(cookies[name]), name
        assert "secure" not in cookie_flags(cookies[name]), name  # plain HTTP in development


def test_cookies_are_secure_when_the_deployment_says_so(own_app):
    secure_app = own_app(SESSION_COOKIE_SECURE=True)
    create_user(secure_app, "camille@example.org")

    response = secure_app.test_client().post(
        "/compte/connexion",
        data={"email": "camille@example.org", "password": PASSWORD, "remember": "y"},
        base_url="https://localhost",
    )

    cookies = set_cookies(response)
    for name in ("session", "remember_token"):
        assert {"secure", "httponly", "samesite=lax"} <= cookie_flags(cookies[name]), name


# -- 6. rate limits on authentication -------------------------------------------------------------------------------


class LimiterClock:
    """The clock of the in-memory rate-limit counters (``limits`` reads ``time.time()``), moved by the test."""

    def __init__(self, start: float):
        self.now = start

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def limiter_clock(monkeypatch) -> LimiterClock:
    import time

    assert isinstance(limiter.storage, limits.storage.memory.MemoryStorage)
    fake = LimiterClock(time.time())
    monkeypatch.setattr(limits.storage.memory, "time", fake)
    return fake


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def attempt(client, password: str = WRONG, **kwargs):
    return client.post("/compte/connexion", data={"email": "camille@example.org", "password": password}, **kwargs)


def test_ten_wrong_passwords_in_a_minute_from_one_address_are_rate_limited(app, libercourt, limiter_clock):
    create_user(app, "camille@example.org")
    attacker = from_address(app, "203.0.113.10")

    answers = [attempt(attacker).status_code for _ in range(10)]
    limiter_clock.advance(50)
    blocked = login(attacker, "camille@example.org", PASSWORD)

    assert answers == [200] * 10
    assert blocked.status_code == 429
    assert "Trop de tentatives" in page_text(blocked)
    assert "Patientez une minute puis réessayez." in page_text(blocked)
    assert '<html lang="fr">' in page_text(blocked)
    assert int(blocked.headers["Retry-After"]) > 0
    assert attacker.get("/compte/profil").status_code == 302  # even the right password did not log in


def test_the_limit_of_one_address_does_not_touch_another(app, limiter_clock):
    create_user(app, "camille@example.org")
    attacker = from_address(app, "203.0.113.10")
    for _ in range(11):
        attempt(attacker)

    assert login(from_address(app, "198.51.100.20"), "camille@example.org").status_code == 302


def test_after_a_minute_the_address_may_try_again(app, limiter_clock):
    create_user(app, "camille@example.org")
    attacker = from_address(app, "203.0.113.10")
    for _ in range(11):
        attempt(attacker)

    limiter_clock.advance(61)

    assert login(attacker, "camille@example.org").status_code == 302


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/compte/inscription", {"email": "x@example.org"}),
        ("/compte/mot-de-passe-oublie", {"email": "x@example.org"}),
    ],
)
def test_registration_and_password_reset_are_rate_limited_too(app, path, data):
    client = from_address(app, "203.0.113.10")

    answers = [client.post(path, data=data).status_code for _ in range(11)]

    assert answers == [200] * 10 + [429]


def test_without_a_trusted_proxy_x_forwarded_for_cannot_dodge_the_limit(app):
    client = from_address(app, "203.0.113.10")

    answers = [attempt(client, headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code for n in range(11)]

    assert answers == [200] * 10 + [429]


def test_behind_a_trusted_proxy_the_limit_counts_each_real_client(own_app):
    proxied = own_app(TRUSTED_PROXIES=1)
    proxy = from_address(proxied, "10.0.0.2")  # every request arrives from the proxy

    attacker = [attempt(proxy, headers={"X-Forwarded-For": "203.0.113.10"}).status_code for _ in range(11)]
    neighbour = attempt(proxy, headers={"X-Forwarded-For": "198.51.100.20"})

    assert attacker == [200] * 10 + [429]
    assert neighbour.status_code == 200


def test_behind_a_trusted_proxy_https_is_recognised(own_app, libercourt):
    proxied = own_app(TRUSTED_PROXIES=1)

    response = proxied.test_client().get("/libercourt/", headers={"X-Forwarded-Proto": "https"})

    assert "Strict-Transport-Security" in response.headers


# -- Redis: counters shared by every web process ----------------------------------------------------------------------


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.mark.skipif(not redis_answers(), reason="no Redis server answers on 127.0.0.1:6379 (start redis-server)")
def test_with_redis_the_counters_live_in_redis(own_app):
    import redis

    prefix = f"pc-test-{uuid.uuid4().hex}"
    server = redis.Redis(host="127.0.0.1", port=6379)
    shared = own_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379", RATELIMIT_KEY_PREFIX=prefix)
    try:
        client = from_address(shared, "203.0.113.10")
        answers = [attempt(client).status_code for _ in range(11)]
        counters = {key: int(server.get(key)) for key in server.scan_iter(f"*{prefix}*")}
    finally:
        for key in server.scan_iter(f"*{prefix}*"):
            server.delete(key)
        server.close()

    assert answers == [200] * 10 + [429]
    assert [key.decode() for key in counters if b"203.0.113.10" in key and b"accounts.login" in key]
    assert max(counters.values()) == 11
