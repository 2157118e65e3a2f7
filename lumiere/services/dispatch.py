"""Handing work to the job queue without depending on it.

The queue (`lumiere.jobs`) sits above the services and installs its `enqueue` here when the app,
the API or a worker starts. A service asks for a job with `after_commit`: the job goes to the queue
only once the transaction that wrote its rows has committed, so a worker never looks for a run that
is not there yet, and a request that rolls back enqueues nothing. If the queue cannot be reached at
that moment (Redis down) the job waits in this process and is sent again on the clock's next tick or
with the next job that gets through; a run whose process dies meanwhile stays queued and the reaper
fails it later with a message saying so. Sending a job twice is harmless: a run is claimed once in the
database, an email once per outbox key.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from lumiere.core.enums import JobKind

logger = logging.getLogger(__name__)

_PENDING = "lumiere_jobs"
# Jobs the queue refused (it could not be reached), oldest first; bounded so an outage cannot eat memory.
_UNSENT_MAX = 10_000
_unsent: deque[Job] = deque(maxlen=_UNSENT_MAX)
_unsent_lock = threading.Lock()


@dataclass(frozen=True)
class Job:
    """One unit of queued work and its arguments: (run id,) for a run; user, insight or query, format
    and outbox key for the emails the user asks for."""

    kind: JobKind
    args: tuple[int | str, ...]


Enqueue = Callable[[Job], None]
_installed: dict[str, Enqueue] = {}


def install(enqueue: Enqueue) -> None:
    """Called by the job queue when it is set up in this process."""
    _installed["enqueue"] = enqueue


def enqueue_now(job: Job) -> None:
    enqueue = _installed.get("enqueue")
    if enqueue is None:
        raise RuntimeError("the job queue is not set up in this process: call lumiere.jobs.install() at start-up")
    enqueue(job)


def after_commit(session: OrmSession, job: Job) -> None:
    """Enqueue `job` once `session` commits; nothing if it rolls back."""
    session.info.setdefault(_PENDING, []).append(job)


@event.listens_for(OrmSession, "after_commit")
def _send_pending(session: OrmSession) -> None:
    for job in session.info.pop(_PENDING, []):
        try:
            enqueue_now(job)
        except Exception as error:  # the rows are committed: keep the job and send it when the queue answers
            logger.warning("Could not enqueue %s job %s (%s); it is sent again once the queue answers",
                           job.kind.value, job.args, error)
            with _unsent_lock:
                _unsent.append(job)
        else:
            if _unsent:
                send_unsent()


def send_unsent() -> int:
    """Enqueue the jobs an outage held back, oldest first; stops at the first failure. Returns how many went."""
    sent = 0
    while True:
        with _unsent_lock:
            if not _unsent:
                return sent
            job = _unsent[0]
        try:
            enqueue_now(job)
        except Exception:
            return sent
        with _unsent_lock:
            if _unsent and _unsent[0] is job:
                _unsent.popleft()
        sent += 1
        logger.info("Enqueued %s job %s after the queue came back", job.kind.value, job.args)


@event.listens_for(OrmSession, "after_rollback")
def _drop_pending(session: OrmSession) -> None:
    session.info.pop(_PENDING, None)
