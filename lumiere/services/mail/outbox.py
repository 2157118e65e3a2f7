"""Letters waiting to be sent, one folder each under the data dir, with who has already got one.

A delivery that fails half-way (the mail server went away after three of five recipients) is tried
again by the job queue; the folder's `progress.json` makes the retry send only to the other two, so
nobody gets the same email twice. Folders go once the delivery is over; the reaper removes any left
by a worker that died.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lumiere.config import get_settings
from lumiere.core.errors import Timeout
from lumiere.services.mail import mailer
from lumiere.services.mail.letters import Letter, compose

_KEY = re.compile(r"^[a-z0-9-]{1,80}$")
LETTER_FILE = "letter.json"
PROGRESS_FILE = "progress.json"


def outbox_dir() -> Path:
    return get_settings().data_dir / "outbox"


def letter_dir(key: str) -> Path:
    if not _KEY.match(key):
        raise ValueError(f"not a letter key: {key!r}")
    return outbox_dir() / key


def _write(path: Path, text: str) -> None:
    """Write-then-rename, so a reader never sees half a file."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def save_letter(key: str, letter: Letter) -> None:
    """The letter is ready: written last, so a folder without it is an unfinished preparation."""
    _write(letter_dir(key) / LETTER_FILE, letter.to_json())


def load_letter(key: str) -> Letter | None:
    path = letter_dir(key) / LETTER_FILE
    return Letter.from_json(path.read_text(encoding="utf-8")) if path.is_file() else None


def discard(key: str) -> None:
    shutil.rmtree(letter_dir(key), ignore_errors=True)


@dataclass
class Delivery:
    """Who got the letter, who the mail server refused (and why), who stopped these emails."""

    sent: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    stopped: list[str] = field(default_factory=list)

    @property
    def done(self) -> set[str]:
        return {*self.sent, *self.refused}


def _progress(key: str) -> Delivery:
    path = letter_dir(key) / PROGRESS_FILE
    if not path.is_file():
        return Delivery()
    data = json.loads(path.read_text(encoding="utf-8"))
    return Delivery(sent=list(data.get("sent", [])), refused=dict(data.get("refused", {})))


def _save_progress(key: str, delivery: Delivery) -> None:
    _write(letter_dir(key) / PROGRESS_FILE, json.dumps({"sent": delivery.sent, "refused": delivery.refused}))


def deliver(key: str, *, stopped: Callable[[], set[str]] = set, deadline: float | None = None) -> Delivery:
    """Sends the letter to each recipient who has not had it yet and has not stopped these emails.

    `stopped` is read just before sending, so a stop link clicked between two attempts counts;
    `deadline` (time.monotonic) stops before a recipient once the run's time is up (408).
    Raises MailUnavailable when the server cannot take mail now, after saving who got it.
    """
    letter = load_letter(key)
    if letter is None:
        raise FileNotFoundError(f"no letter {key!r} in the outbox")
    folder = letter_dir(key)
    delivery = _progress(key)
    opted_out = stopped()
    waiting = [address for address in letter.recipients if address not in delivery.done]
    delivery.stopped = [address for address in waiting if address in opted_out]
    waiting = [address for address in waiting if address not in opted_out]
    if not waiting:
        return delivery
    with mailer.connect() as connection:
        for address in waiting:
            if deadline is not None and time.monotonic() > deadline:
                raise Timeout(
                    f"The run took longer than {get_settings().run_timeout_s:g} s and stopped after emailing "
                    f"{len(delivery.sent)} of {len(letter.recipients)} recipients."
                )
            try:
                connection.send(compose(letter, folder, address))
            except mailer.MailRefused as error:
                delivery.refused[address] = str(error)
            else:
                delivery.sent.append(address)
            _save_progress(key, delivery)
    return delivery


def remove_stale_letters(older_than_s: float) -> int:
    """Deletes letter folders nobody has touched for `older_than_s` (their delivery is long over)."""
    folder = outbox_dir()
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than_s
    removed = 0
    for entry in folder.iterdir():
        if entry.is_dir() and entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed
