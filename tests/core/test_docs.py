"""``docs/plugins.md`` documents every hook of the plugin contract, with its arguments, under its own heading."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from platformcoop.plugins import hookspecs

PLUGINS_DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
HEADING = re.compile(r"^### (pc_\w+)\(([^)]*)\)\s*$", re.MULTILINE)


def hookspec_arguments() -> dict[str, list[str]]:
    return {
        name: list(inspect.signature(function).parameters)
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("pc_")
    }


def documented_hooks() -> dict[str, list[str]]:
    """``### pc_hook(arg1, arg2)`` headings of docs/plugins.md, as {hook: [arguments]}."""
    return {
        name: [argument.strip() for argument in arguments.split(",") if argument.strip()]
        for name, arguments in HEADING.findall(PLUGINS_DOC.read_text(encoding="utf-8"))
    }


def test_the_hookspecs_are_found():
    """Guards the parametrised test below against an empty list (which would check nothing)."""
    hooks = hookspec_arguments()

    assert hooks["pc_module_manifest"] == []
    assert hooks["pc_search"] == ["territory", "user", "query"]


@pytest.mark.parametrize("hook", sorted(hookspec_arguments()))
def test_every_hook_is_documented_with_its_arguments(hook):
    documented = documented_hooks()

    assert hook in documented, f"docs/plugins.md has no '### {hook}(...)' heading"
    missing = [argument for argument in hookspec_arguments()[hook] if argument not in documented[hook]]
    assert not missing, f"the heading of {hook} in docs/plugins.md lacks {', '.join(missing)}"


def test_the_documentation_describes_no_hook_that_does_not_exist():
    specs = hookspec_arguments()
    stale = {hook: arguments for hook, arguments in documented_hooks().items() if specs.get(hook) != arguments}

    assert stale == {}, "docs/plugins.md headings that do not match platformcoop/plugins/hookspecs.py"
