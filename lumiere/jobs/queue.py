"""The Huey instance for the current settings, its tasks, and `enqueue` for the services.

Each task retries a bounded number of times (`LUMIERE_JOB_RETRIES`) with a wait that starts at
`LUMIERE_JOB_RETRY_DELAY_S` and doubles. A task asks for a retry by raising CancelExecution(retry=True),
which Huey counts against the retries like a failure but logs as one line instead of a traceback;
on the last attempt the service records the failure itself and the task ends normally.
Huey's results store is off: what a job did is in the app database (runs) or the logs (emails).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey.api import Task, TaskWrapper
from huey.exceptions import CancelExecution

from lumiere.config import Settings, get_settings
from lumiere.core.enums import JobKind
from lumiere.services import deliveries, dispatch, schedule_runs
from lumiere.services.dispatch import Job


def _final(task: Task) -> bool:
    """Whether this is the task's last attempt (Huey counts the retries left down to 0)."""
    return not task.retries


def _retry_later() -> None:
    raise CancelExecution("will be retried", retry=True)


def run_schedule(run_id: int, task: Task) -> None:
    if schedule_runs.execute_run(run_id, final_attempt=_final(task)).retry:
        _retry_later()


def insight_email(user_id: int, insight_id: int, key: str, task: Task) -> None:
    if deliveries.send_insight_email(user_id, insight_id, key, final_attempt=_final(task)):
        _retry_later()


def export_email(user_id: int, query_id: int, fmt: str, key: str, task: Task) -> None:
    if deliveries.send_export_email(user_id, query_id, fmt, key, final_attempt=_final(task)):
        _retry_later()


_TASKS = {JobKind.RUN: run_schedule, JobKind.INSIGHT_EMAIL: insight_email, JobKind.EXPORT_EMAIL: export_email}


@dataclass(frozen=True)
class JobQueue:
    huey: Huey
    tasks: dict[JobKind, TaskWrapper]


def _build(settings: Settings) -> JobQueue:
    huey: Huey
    if settings.redis_url:
        huey = RedisHuey(settings.job_queue_name, url=settings.redis_url, results=False, utc=True)
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey(settings.job_queue_name, filename=str(settings.data_dir / "jobs.db"), results=False,
                          utc=True, timeout=30)
    options: dict[str, Any] = {
        "retries": settings.job_retries, "retry_delay": settings.job_retry_delay_s, "retry_backoff": 2,
        "context": True,
    }
    tasks = {kind: huey.task(name=kind.value, **options)(function) for kind, function in _TASKS.items()}
    return JobQueue(huey, tasks)


_queues: dict[tuple[str | None, str, str, int, float], JobQueue] = {}
_lock = threading.Lock()


def job_queue() -> JobQueue:
    """The queue for the current settings (one per Redis URL or data dir, queue name and retry policy)."""
    settings = get_settings()
    key = (settings.redis_url, str(settings.data_dir), settings.job_queue_name, settings.job_retries,
           settings.job_retry_delay_s)
    with _lock:
        if key not in _queues:
            _queues[key] = _build(settings)
        return _queues[key]


def reset_job_queues() -> None:
    """Forget the queues built so far (tests change the settings between cases)."""
    with _lock:
        _queues.clear()


def enqueue(job: Job) -> None:
    job_queue().tasks[job.kind](*job.args)


def install() -> None:
    """Makes `enqueue` the services' way to queue work in this process (idempotent)."""
    dispatch.install(enqueue)
