"""The browser tests' own safety net: the accessibility check must catch what it is there to catch."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_the_accessibility_check_catches_an_unlabelled_field(live, browse):
    browse.visit("/")
    browse.evaluate("document.querySelector('main').append(document.createElement('input'))")

    with pytest.raises(AssertionError) as failure:
        browse.check()

    report = str(failure.value)
    assert "[critical] label: Form elements must have labels" in report
    assert "at #contenu > input: <input>" in report


def test_a_page_loaded_without_a_check_is_reported(live, browse):
    browse.goto("/")  # straight to Playwright, around visit()

    with pytest.raises(AssertionError, match="never checked for accessibility"):
        browse.assert_all_checked()
    browse.check()


def test_a_content_security_policy_violation_fails_the_check(live, browse):
    browse.visit("/")
    browse.evaluate("document.querySelector('h1').setAttribute('style', 'color: red')")  # inline styles are refused

    with pytest.raises(AssertionError, match="CSP violation"):
        browse.check()
