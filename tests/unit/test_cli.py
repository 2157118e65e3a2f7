"""Operator commands: `python -m lumiere.cli make-admin EMAIL` promotes an existing account and
fails clearly (exit code 1) for an email that has none."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lumiere.cli import main
from lumiere.db import session_scope
from lumiere.models import User
from lumiere.services.auth import register_user
from tests.helpers.rows import stored

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_make_admin_promotes_an_existing_account(app_db, capsys):
    with session_scope() as session:
        register_user(session, email="first@example.com", password="password-1", name="First")
        bob = register_user(session, email="bob@example.com", password="password-1", name="Bob")
        bob.disabled = True
        bob_id = bob.id
    assert main(["make-admin", "Bob@Example.com"]) == 0
    assert capsys.readouterr().out.strip() == "lumiere: bob@example.com is now an administrator"
    with session_scope() as session:
        promoted = stored(session, User, bob_id)
        assert promoted.role == "admin" and not promoted.disabled


def test_make_admin_of_an_unknown_email_says_so_and_exits_1(app_db):
    with session_scope() as session:
        register_user(session, email="first@example.com", password="password-1", name="First")
    finished = subprocess.run(
        [sys.executable, "-m", "lumiere.cli", "make-admin", "nobody@example.com"],
        cwd=PROJECT_ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=120, check=False,
    )
    assert finished.returncode == 1, finished.stderr
    assert "There is no account with the email 'nobody@example.com'" in finished.stderr
    assert finished.stdout == ""
