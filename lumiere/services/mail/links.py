"""Links in emails that work without signing in: "stop these emails" and large-file downloads.

Both are signed tokens (`storage.signed_links`): a stop link names one schedule and one address and
never expires (an old email must still let its reader stop the next ones); a download link names one
file and expires with it.
"""

from __future__ import annotations

import re
import secrets
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from lumiere.config import get_settings
from lumiere.core.errors import NotFound
from lumiere.models import EmailOptOut, Schedule
from lumiere.models._base import utcnow
from lumiere.storage.signed_links import BadLink, sign, verify

STOP_PURPOSE = "email-stop"
DOWNLOAD_PURPOSE = "download"
_DOWNLOAD_NAME = re.compile(r"^[0-9a-f]{32}/[^/\\\x00]{1,200}$")


def _public(path: str) -> str:
    return f"{get_settings().public_url}{path}"


# --------------------------------------------------------------------------------------------
# Stop these emails


def stop_url(schedule_id: int, email: str) -> str:
    return _public(f"/api/email/stop/{sign(STOP_PURPOSE, {'s': schedule_id, 'e': email}, ttl_s=None)}")


@dataclass(frozen=True)
class StopRequest:
    """What a stop link is about; `schedule_name` is None when the schedule was deleted since."""

    schedule_id: int
    email: str
    schedule_name: str | None
    stopped: bool


def _stop_payload(token: str) -> tuple[int, str]:
    try:
        payload = verify(STOP_PURPOSE, token)
    except BadLink as error:
        raise NotFound(str(error)) from None
    schedule_id, email = payload.get("s"), payload.get("e")
    if not isinstance(schedule_id, int) or not isinstance(email, str):
        raise NotFound("This link is not valid.")
    return schedule_id, email


def read_stop(session: Session, token: str) -> StopRequest:
    """The schedule and address of a stop link, and whether they are already stopped (404: bad link)."""
    schedule_id, email = _stop_payload(token)
    schedule = session.get(Schedule, schedule_id)
    stopped = schedule is None or email in opted_out(session, schedule_id)
    return StopRequest(schedule_id, email, schedule.name if schedule else None, stopped)


def stop_emails(session: Session, token: str) -> StopRequest:
    """Records that this address gets no more emails from this schedule (idempotent)."""
    request = read_stop(session, token)
    if request.schedule_name is None or request.stopped:
        return StopRequest(request.schedule_id, request.email, request.schedule_name, True)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(EmailOptOut.__table__)  # type: ignore[attr-defined]
        .values(schedule_id=request.schedule_id, email=request.email, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["schedule_id", "email"])
    )
    return StopRequest(request.schedule_id, request.email, request.schedule_name, True)


def opted_out(session: Session, schedule_id: int) -> set[str]:
    return set(session.exec(select(EmailOptOut.email).where(EmailOptOut.schedule_id == schedule_id)).all())


# --------------------------------------------------------------------------------------------
# Downloads


def downloads_dir() -> Path:
    return get_settings().data_dir / "downloads"


@dataclass(frozen=True)
class DownloadLink:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class DownloadFile:
    path: Path
    filename: str
    content_type: str


def keep_for_download(path: Path, filename: str, content_type: str) -> DownloadLink:
    """Moves the file where the download route serves it from and signs a link to it."""
    ttl_s = get_settings().download_link_ttl_hours * 3600
    name = f"{secrets.token_hex(16)}/{_safe_filename(filename)}"
    target = downloads_dir() / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(path, target)
    token = sign(DOWNLOAD_PURPOSE, {"f": name, "t": content_type}, ttl_s=ttl_s)
    return DownloadLink(_public(f"/api/files/{token}"), datetime.now(UTC) + timedelta(seconds=ttl_s))


def _safe_filename(filename: str) -> str:
    cleaned = re.sub(r"[/\\\x00-\x1f]", "_", filename).strip(". ") or "export"
    return cleaned[:200]


def open_download(token: str) -> DownloadFile:
    """The file behind a download link; 404 when the link is forged, expired or its file is gone."""
    try:
        payload = verify(DOWNLOAD_PURPOSE, token)
    except BadLink as error:
        raise NotFound(f"{error} Download links in emails work for {get_settings().download_link_ttl_hours} "
                       "hours; run the schedule again for a new one.") from None
    name, content_type = payload.get("f"), payload.get("t")
    if not isinstance(name, str) or not _DOWNLOAD_NAME.match(name) or not isinstance(content_type, str):
        raise NotFound("This link is not valid.")
    path = downloads_dir() / name
    if not path.is_file():
        raise NotFound("This file is no longer available; run the schedule again for a new one.")
    return DownloadFile(path, name.split("/", 1)[1], content_type)


def remove_expired_downloads() -> int:
    """Deletes download folders older than the links' lifetime; how many went."""
    folder = downloads_dir()
    if not folder.is_dir():
        return 0
    cutoff = time.time() - get_settings().download_link_ttl_hours * 3600
    removed = 0
    for entry in folder.iterdir():
        if entry.is_dir() and entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed
