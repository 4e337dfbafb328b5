"""Small helpers shared by the browser tests."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def sign_in(page, email_address: str) -> None:
    """Log ``page``'s browser context in without showing the login page (test_admin_pages drives that page).

    The form is posted through the context's own request API, so the session cookie lands in the browser; saves two
    page loads and their accessibility checks per person.
    """
    request = page.context.request
    form = request.get("/compte/connexion")
    assert form.ok, f"login page: {form.status}"
    match = CSRF_FIELD.search(form.text())
    assert match, "no CSRF token on the login page"
    token = match.group(1) or match.group(2)
    response = request.post(
        "/compte/connexion",
        form={"csrf_token": token, "email": email_address, "password": PASSWORD},
        max_redirects=0,
    )
    assert response.status == 302, f"login of {email_address} refused ({response.status})"


def flash(page, text: str):
    """A message shown after an action (a status message)."""
    return page.get_by_role("status").filter(has_text=text)
