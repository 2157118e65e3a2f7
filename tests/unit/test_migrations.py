"""The migrations create exactly what the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import lumiere.models  # noqa: F401
from lumiere.db import engine_for, migrate


def test_migrated_schema_matches_the_models(database_url):
    migrate(database_url)  # idempotent: running again changes nothing
    with engine_for(database_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
