"""Settings: the generated secret key is created once, private, and reused."""

from __future__ import annotations

import stat
from pathlib import Path

from pydantic import SecretStr

from lumiere.config import Settings


def test_generated_secret_key_is_kept_with_mode_0600_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("LUMIERE_SECRET_KEY", raising=False)
    first = Settings(data_dir=tmp_path / "data", secret_key=None).resolved_secret_key
    key_file = tmp_path / "data" / ".secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) >= 48
    assert Settings(data_dir=tmp_path / "data", secret_key=None).resolved_secret_key == first
    assert Settings(data_dir=tmp_path / "other", secret_key=None).resolved_secret_key != first


def test_configured_secret_key_wins(tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key=SecretStr("from-the-environment"))
    assert settings.resolved_secret_key == "from-the-environment"
    assert not (tmp_path / ".secret_key").exists()


def test_default_database_is_a_sqlite_file_under_var(tmp_path):
    settings = Settings(data_dir=tmp_path / "var" / "data", database_url="")
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'var' / 'lumiere.db'}"


def test_relative_data_dir_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Settings(data_dir=Path("rel/data")).data_dir == tmp_path / "rel" / "data"
