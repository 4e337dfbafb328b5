"""One Alembic environment, one branch per module: each branch has one head and the models match the migrations.

The session app's schema was built by ``flask db upgrade heads`` (see ``tests/conftest.py``), on SQLite or on
PostgreSQL, so the comparison below runs against whichever database the suite uses.
"""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from platformcoop.extensions import db, migrate
from platformcoop.plugins.manager import get_registry
from tests import sample_plugin


@pytest.fixture
def scripts(ctx) -> ScriptDirectory:
    """The revisions Alembic sees, with the version locations the app configures (core + every loaded module)."""
    return ScriptDirectory.from_config(migrate.get_config())


@pytest.fixture
def branches(ctx) -> set[str]:
    """The core's branch and one per loaded module, labelled with the module name."""
    return {"core", *get_registry().modules}


def branch_heads(scripts: ScriptDirectory, label: str) -> list[str]:
    return [head for head in scripts.get_heads() if label in scripts.get_revision(head).branch_labels]


def test_alembic_sees_the_core_and_every_loaded_module(scripts, branches):
    assert str(sample_plugin.HERE / "migrations" / "versions") in scripts.version_locations
    assert {label for rev in scripts.walk_revisions() for label in rev.branch_labels} == branches


def test_each_branch_has_exactly_one_head(scripts, branches):
    heads = {branch: branch_heads(scripts, branch) for branch in sorted(branches)}

    assert {branch: found for branch, found in heads.items() if len(found) != 1} == {}
    assert len(scripts.get_heads()) == len(branches), "a head outside any branch"


def test_each_module_branch_starts_from_nothing_and_depends_on_the_core(scripts, branches):
    core_revisions = {rev.revision for rev in scripts.walk_revisions() if "core" in rev.branch_labels}
    for module in sorted(branches - {"core"}):
        (base,) = [rev for rev in scripts.walk_revisions() if module in rev.branch_labels and rev.is_base]
        dependencies = {rev.revision for rev in scripts.get_revisions(base.dependencies)}

        assert base.down_revision is None, module
        assert dependencies, f"the {module} branch does not depend on the core"
        assert dependencies <= core_revisions, module


def test_upgrade_heads_applied_every_revision_of_every_branch(scripts):
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    # The version table keeps only the tips; what they stand on (down revisions and dependencies) is applied too.
    applied = {rev.revision for tip in current for rev in scripts.walk_revisions(base="base", head=tip)}

    assert applied == {rev.revision for rev in scripts.walk_revisions()}


def test_the_models_match_the_migrated_schema(ctx):
    """What ``flask db migrate`` would generate now: nothing (checked on SQLite and PostgreSQL)."""
    options = dict(current_app.extensions["migrate"].configure_args)  # as migrations/env.py configures Alembic
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=options)
        differences = compare_metadata(context, db.metadata)

    assert differences == []
