"""Languages: the English catalogue is complete, and pages and e-mails speak the reader's language.

The msgids are the French text of the interface, so French needs no catalogue; English lives in
``translations/en/LC_MESSAGES/messages.po`` (see translations/README.md). The ``.mo`` files are compiled by the
session fixture ``_compiled_translations`` in tests/conftest.py.
"""

from __future__ import annotations

import html as html_module
import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from platformcoop.accounts.models import User
from platformcoop.extensions import db
from tests.conftest import create_territory, create_user, login

ROOT = Path(__file__).resolve().parents[2]
ENGLISH_PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
# Each catalogue and the sources it translates: the core's, and each module's own (``pc_translations_dir``).
CATALOGUES = {
    "core": (ENGLISH_PO, ("platformcoop", "templates")),
    "timebank": (
        ROOT / "plugins" / "timebank" / "translations" / "en" / "LC_MESSAGES" / "messages.po",
        ("plugins/timebank",),
    ),
    "bikerepair": (
        ROOT / "plugins" / "bikerepair" / "translations" / "en" / "LC_MESSAGES" / "messages.po",
        ("plugins/bikerepair",),
    ),
}

PENDING_REQUESTS = (
    "%(num)s demande d'adhésion attend votre réponse.",
    "%(num)s demandes d'adhésion attendent votre réponse.",
)

# A printf-style conversion: %(name)s, %d, %.2f ... (%% is a literal percent sign, not a placeholder).
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")


@cache
def english_catalogue(path: Path = ENGLISH_PO) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale="en")


def english(msgid: str, num: int | None = None) -> str:
    """The English translation of a French msgid as the catalogue has it today (plural form for ``num``)."""
    message = english_catalogue().get(msgid)
    assert message is not None and message.string, f"no English translation for {msgid!r}"
    if num is None:
        return message.string
    return message.string[0 if num == 1 else 1] % {"num": num}


def placeholders(text: str) -> set[str]:
    return {m.group(0) for m in PLACEHOLDER.finditer(text)} - {"%%"}


def extract_sources(folder: Path, sources: tuple[str, ...] = ("platformcoop", "templates")) -> Catalog:
    """Run the extraction of ``make extract-messages`` in-process, on the current sources."""
    pot = folder / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "--quiet",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "--no-location",
            "--sort-output",
            "-o",
            str(pot),
            *(str(ROOT / source) for source in sources),
        ]
    )
    with pot.open("rb") as f:
        return read_po(f)


def translation_problem(source: Message, translated: Message | None, num_plurals: int = 2) -> str | None:
    if translated is None:
        return "missing"
    if translated.fuzzy:
        return "fuzzy"
    if source.pluralizable != translated.pluralizable or (source.pluralizable and source.id[1] != translated.id[1]):
        return "singular/plural mismatch with the sources"
    strings = translated.string if translated.pluralizable else (translated.string,)
    expected_forms = num_plurals if translated.pluralizable else 1
    if len(strings) != expected_forms or not all(strings):
        return "empty msgstr"
    ids = source.id if source.pluralizable else (source.id,)
    wanted = set().union(*(placeholders(i) for i in ids))
    for string in strings:
        if placeholders(string) != wanted:
            return f"placeholders {sorted(placeholders(string))} instead of {sorted(wanted)}"
    return None


@pytest.mark.parametrize("name", sorted(CATALOGUES))
def test_english_catalogue_is_complete(tmp_path, name):
    path, folders = CATALOGUES[name]
    sources = extract_sources(tmp_path, folders)
    catalogue = english_catalogue(path)
    problems = []
    for message in sources:
        if not message.id:
            continue
        problem = translation_problem(message, catalogue.get(message.id), catalogue.num_plurals)
        if problem:
            msgid = message.id[0] if message.pluralizable else message.id
            problems.append(f"  - {msgid!r}: {problem}")
    assert len(sources) > 20, "extraction found almost nothing: is babel.cfg still right?"
    assert not problems, (
        f"{len(problems)} French msgid(s) without a proper English translation in "
        f"{path.relative_to(ROOT)}:\n"
        + "\n".join(problems)
        + "\nRun `make extract-messages`, translate them in that file (no fuzzy flag, same %(...)s placeholders), "
        "then `make translations`. See translations/README.md."
    )


def test_plural_forms_follow_the_number(app):
    from flask_babel import force_locale, ngettext

    singular, plural = english_catalogue().get(PENDING_REQUESTS[0]).string
    with app.test_request_context(), force_locale("en"):
        assert ngettext(*PENDING_REQUESTS, 1) == singular % {"num": 1}
        assert ngettext(*PENDING_REQUESTS, 3) == plural % {"num": 3}


# -- pages ---------------------------------------------------------------------------------------------------------


def set_locale(app, user_id: int, locale: str) -> None:
    with app.app_context():
        db.session.get(User, user_id).locale = locale
        db.session.commit()


def text_of(response) -> str:
    """The page with HTML entities decoded, so that apostrophes and quotes compare as typed."""
    return html_module.unescape(response.get_data(as_text=True))


def page_language(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', html)
    assert match, "the page has no <html lang>"
    return match.group(1)


def page_title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match, "the page has no <title>"
    return match.group(1).strip()


def test_pages_are_in_french_by_default(client, libercourt):
    html = text_of(client.get("/compte/connexion"))
    assert page_language(html) == "fr"
    assert page_title(html).startswith("Se connecter")
    assert english("Se connecter") not in html


def test_pages_are_in_english_for_a_user_who_chose_english(app, client, libercourt):
    user_id = create_user(app, "ann@example.org", "Ann", libercourt=("resident",))
    set_locale(app, user_id, "en")
    assert login(client, "ann@example.org").status_code == 302

    html = text_of(client.get("/compte/profil"))
    assert page_language(html) == "en"
    assert page_title(html).startswith(english("Mon profil"))
    assert english("Se déconnecter") in html
    assert "Se déconnecter" not in html

    home = text_of(client.get("/libercourt/"))
    assert page_language(home) == "en"
    assert page_title(home) == f"{english('Accueil')} – Libercourt"


def test_the_language_chosen_in_the_footer_lasts_for_the_session(client, libercourt):
    client.post("/compte/langue", data={"locale": "en", "next": "/compte/connexion"})
    html = text_of(client.get("/compte/connexion"))
    assert page_language(html) == "en"
    assert page_title(html).startswith(english("Se connecter"))
    assert english("Mot de passe oublié ?") in html


def test_form_errors_are_translated(app, client, libercourt):
    client.post("/compte/langue", data={"locale": "en"})
    html = text_of(
        client.post(
            "/compte/inscription",
            data={"display_name": "Ann", "email": "ann@example.org", "password": "short", "password_confirm": "short"},
        )
    )
    assert english("Le formulaire contient des erreurs") in html
    assert english("Vous devez accepter les conditions d'utilisation.") in html
    minimum = app.config["PASSWORD_MIN_LENGTH"]
    assert english("Le mot de passe doit contenir au moins %(num)d caractère.", minimum) in html
    assert "Le mot de passe doit contenir" not in html


def test_an_anonymous_visitor_gets_the_territory_language(app, client):
    create_territory(app, "brighton", "Brighton", locale="en")
    html = text_of(client.get("/brighton/"))
    assert page_language(html) == "en"
    assert page_title(html) == f"{english('Accueil')} – Brighton"
    assert english("Se connecter") in html
    assert "Se connecter" not in html


def test_the_session_choice_and_the_user_locale_win_over_the_territory(app, client):
    create_territory(app, "brighton", "Brighton", locale="en")
    client.post("/compte/langue", data={"locale": "fr"})
    assert page_language(text_of(client.get("/brighton/"))) == "fr"

    other = app.test_client()
    create_user(app, "zoe@example.org", "Zoé", brighton=("resident",))  # locale "fr" by default
    assert login(other, "zoe@example.org").status_code == 302
    assert page_language(text_of(other.get("/brighton/"))) == "fr"


# -- e-mails -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recipient_locale", "visitor_locale"),
    [("en", "fr"), ("fr", "en")],
    ids=["english-recipient", "french-recipient"],
)
def test_an_email_is_written_in_the_recipient_language(app, client, outbox, recipient_locale, visitor_locale):
    user_id = create_user(app, "ann@example.org", "Ann")
    set_locale(app, user_id, recipient_locale)
    client.post("/compte/langue", data={"locale": visitor_locale})  # whoever asks, the owner reads the e-mail

    response = client.post("/compte/mot-de-passe-oublie", data={"email": "ann@example.org"})
    assert response.status_code == 200
    assert page_language(text_of(response)) == visitor_locale

    [message] = outbox.to("ann@example.org")
    body = outbox.body(message)
    subject_fr = "Choisir un nouveau mot de passe"
    intro_fr = "Pour choisir un nouveau mot de passe, ouvrez ce lien :"
    if recipient_locale == "en":
        assert message["Subject"] == english(subject_fr)
        assert english("Bonjour %(name)s,") % {"name": "Ann"} in body
        assert english(intro_fr) in body
        assert intro_fr not in body
    else:
        assert message["Subject"] == subject_fr
        assert "Bonjour Ann," in body
        assert intro_fr in body
        assert english(intro_fr) not in body
