"""Where uploaded datasets live on disk.

Each upload becomes ONE immutable DuckDB file, `datasets/<user_id>/<random>.duckdb`, written
elsewhere under a temporary name and renamed into place only once it is complete. Readers
attach it READ_ONLY, so queries never wait for an upload and an upload never waits for a query.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import time
from functools import lru_cache
from pathlib import Path

from lumiere.config import get_settings
from lumiere.models import Source

DATASET_SUFFIX = ".duckdb"
_KEY_SHAPE = re.compile(r"[0-9]{1,19}/[0-9a-f]{32}" + re.escape(DATASET_SUFFIX))
# A full disk or quota, as the OS reports it to Python and as DuckDB words it in its own errors.
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_FULL_MESSAGES = ("No space left on device", "Disk quota exceeded", "File too large")


def is_disk_full(error: BaseException) -> bool:
    """Whether a write failed for want of disk space, so the user gets a 507 rather than a 500 or a 422."""
    if isinstance(error, OSError) and error.errno in _FULL_ERRNOS:
        return True
    return any(text in str(error) for text in _FULL_MESSAGES)


def new_storage_key(user_id: int) -> str:
    """A fresh, unguessable key (relative to datasets_dir) for a user's next dataset file."""
    return f"{int(user_id)}/{secrets.token_hex(16)}{DATASET_SUFFIX}"


def path_for_key(storage_key: str) -> Path:
    """The absolute path of a storage key, refusing any key that is not one `new_storage_key` makes.

    The key is checked by its shape (a user id, a folder separator, 32 hex digits, the suffix), so it
    cannot name anything outside datasets_dir; no path is resolved on the disk for it (that cost
    several system calls per question, on every question).
    """
    if not isinstance(storage_key, str) or not _KEY_SHAPE.fullmatch(storage_key):
        raise ValueError("invalid dataset storage key")
    return _resolved(get_settings().datasets_dir) / storage_key


@lru_cache(maxsize=8)
def _resolved(folder: Path) -> Path:
    return folder.resolve()


def dataset_path(source: Source) -> Path:
    """Absolute path of a CSV source's immutable DuckDB file."""
    if source.kind != "csv" or not source.storage_key:
        raise ValueError("only uploaded sources have a dataset file")
    return path_for_key(source.storage_key)


def upload_tmp_dir() -> Path:
    """Private staging folder for uploads in progress (never Reflex's public upload folder)."""
    path = get_settings().upload_tmp_dir
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def new_temp_path(suffix: str) -> Path:
    """A unique path in the staging folder; the caller creates and removes the file."""
    return upload_tmp_dir() / f"{secrets.token_hex(12)}{suffix}"


def place_dataset(finished: Path, storage_key: str) -> Path:
    """Move a complete dataset file to its final place in one step and make it read-only.

    The rename is atomic when the staging folder and datasets_dir share a filesystem (both
    live under data_dir); across filesystems the copy goes to a hidden name first and is then
    renamed, so a reader never sees a half-copied file.
    """
    target = path_for_key(storage_key)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(finished, 0o440)
    try:
        os.replace(finished, target)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        hidden = target.with_name(f".{target.name}.partial")
        try:
            shutil.copyfile(finished, hidden)
            os.chmod(hidden, 0o440)
            os.replace(hidden, target)
        finally:
            hidden.unlink(missing_ok=True)
        finished.unlink(missing_ok=True)
    return target


def remove_dataset_file(storage_key: str) -> None:
    """Delete a dataset file (and a DuckDB WAL next to it, should one exist)."""
    path = path_for_key(storage_key)
    path.unlink(missing_ok=True)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)


def remove_stale_staging(max_idle_s: float) -> int:
    """Delete staged files nobody has written to for `max_idle_s`: what a killed worker left behind.

    A file being written is touched with every chunk, so any worker sharing the data folder may run this
    without disturbing another worker's upload in progress. Returns how many files went.
    """
    folder = get_settings().upload_tmp_dir
    if not folder.is_dir():
        return 0
    cutoff = time.time() - max_idle_s
    removed = 0
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another worker removed it first
            continue
    return removed
