"""Is the installation healthy: the app database, Redis when one is configured, the data folder and
the disk it lives on. Each check reports what it found instead of raising, so one service down
still shows the others; messages never contain a password or a server path."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import redis
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from lumiere.config import get_settings
from lumiere.models import User
from lumiere.models._base import iso_utc
from lumiere.services.admin import require_admin

REDIS_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class DatabaseStatus:
    ok: bool
    dialect: str
    latency_ms: float | None
    error: str | None = None


@dataclass(frozen=True)
class RedisStatus:
    configured: bool
    ok: bool
    address: str | None = None  # host:port, never the password
    latency_ms: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class DiskStatus:
    data_bytes: int
    free_bytes: int
    total_bytes: int


@dataclass(frozen=True)
class SystemStatus:
    checked_at: str
    database: DatabaseStatus
    redis: RedisStatus
    disk: DiskStatus


def system_status(session: Session, actor: User) -> SystemStatus:
    require_admin(actor)
    settings = get_settings()
    return SystemStatus(
        checked_at=iso_utc(datetime.now(UTC)),
        database=database_status(session),
        redis=redis_status(settings.redis_url),
        disk=disk_status(settings.data_dir),
    )


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def database_status(session: Session) -> DatabaseStatus:
    dialect = session.get_bind().dialect.name
    started = time.perf_counter()
    try:
        session.execute(text("SELECT 1")).one()
    except SQLAlchemyError as error:
        return DatabaseStatus(ok=False, dialect=dialect, latency_ms=None,
                              error=f"The app database did not answer ({type(error).__name__}).")
    return DatabaseStatus(ok=True, dialect=dialect, latency_ms=_elapsed_ms(started))


def redis_status(url: str | None) -> RedisStatus:
    """PING with a one-second budget; "not configured" when LUMIERE_REDIS_URL (or REFLEX_REDIS_URL) is unset."""
    if not url:
        return RedisStatus(configured=False, ok=False, error="Not configured (set LUMIERE_REDIS_URL to use Redis).")
    parts = urlsplit(url)
    address = parts.path if parts.scheme == "unix" else f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
    client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S)
    started = time.perf_counter()
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        return RedisStatus(configured=True, ok=False, address=address,
                           error=f"Redis did not answer within {REDIS_TIMEOUT_S:g} s ({type(error).__name__}).")
    finally:
        client.close()
    return RedisStatus(configured=True, ok=True, address=address, latency_ms=_elapsed_ms(started))


def folder_bytes(folder: Path) -> int:
    """Bytes of the files under `folder` (links not followed; files removed meanwhile skipped)."""
    total = 0
    pending = [folder]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
    return total


def disk_status(data_dir: Path) -> DiskStatus:
    existing = data_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent  # a fresh installation's data dir is made on first upload
    usage = shutil.disk_usage(existing)
    return DiskStatus(data_bytes=folder_bytes(data_dir), free_bytes=usage.free, total_bytes=usage.total)
