"""The migrations create exactly what the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.command import downgrade
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

import lumiere.models  # noqa: F401
from lumiere.db import alembic_config, engine_for, migrate


def test_migrated_schema_matches_the_models(database_url):
    migrate(database_url)  # idempotent: running again changes nothing
    with engine_for(database_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_user_sql_recorded_as_builtin_becomes_engine_user(database_url):
    """0003: entries that ran the user's own SQL said engine "builtin"; after it they say "user",
    and everything else keeps its engine. Downgrading puts the old value back."""
    engine = engine_for(database_url)
    downgrade(alembic_config(database_url), "0002")
    try:
        with engine.begin() as connection:
            user_id = connection.execute(
                text(
                    "INSERT INTO users (email, name, password_hash, role, plan, token_version, created_at, updated_at)"
                    " VALUES ('migrated@example.com', 'M', 'x', 'user', 'free', 0, :now, :now) RETURNING id"
                ),
                {"now": "2026-01-01 00:00:00"},
            ).scalar_one()
            recorded = (("builtin", "sql"), ("builtin", "question"), ("llm", "question"), ("builtin", "rerun"))
            for engine_name, origin in recorded:
                connection.execute(
                    text(
                        "INSERT INTO queries (user_id, source_name, question, sql, status, engine, origin, created_at)"
                        " VALUES (:user_id, 's', '', 'SELECT 1', 'ok', :engine, :origin, :now)"
                    ),
                    {"user_id": user_id, "engine": engine_name, "origin": origin, "now": "2026-01-01 00:00:00"},
                )
        migrate(database_url)
        read = text("SELECT origin, engine FROM queries WHERE user_id = :user_id ORDER BY id")
        with engine.connect() as connection:
            upgraded = [tuple(row) for row in connection.execute(read, {"user_id": user_id})]
        assert upgraded == [("sql", "user"), ("question", "builtin"), ("question", "llm"), ("rerun", "builtin")]

        downgrade(alembic_config(database_url), "0002")
        with engine.connect() as connection:
            downgraded = [tuple(row) for row in connection.execute(read, {"user_id": user_id})]
        assert downgraded[0] == ("sql", "builtin")
    finally:
        migrate(database_url)
        with engine.begin() as connection:
            connection.execute(
                text("DELETE FROM queries WHERE user_id IN (SELECT id FROM users WHERE email = 'migrated@example.com')")
            )
            connection.execute(text("DELETE FROM users WHERE email = 'migrated@example.com'"))


def test_processes_started_together_migrate_a_new_sqlite_file_once(tmp_path):
    """Backend workers start at the same moment and each migrates: on a new SQLite file they take
    turns (a file lock, as PostgreSQL's advisory lock), instead of all creating the first tables."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'app.db'}"
    script = "import sys; from lumiere.db import migrate; migrate(sys.argv[1])"
    workers = [subprocess.Popen([sys.executable, "-c", script, url], stderr=subprocess.PIPE) for _ in range(4)]
    outcomes = [worker.communicate(timeout=120) for worker in workers]
    failures = [err.decode()[-2000:] for worker, (_, err) in zip(workers, outcomes, strict=True) if worker.returncode]
    assert failures == []
    with engine_for(url).connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM plans")).scalar() == 2
