"""Running the queue: worker threads, Huey's own scheduler (delayed retries) and our clock.

The clock thread ticks every `LUMIERE_SCHEDULE_TICK_S` (claims due cron firings, see
`services.schedule_clock`) and reaps stuck runs and old files every minute. Every consumer runs one,
embedded or standalone: the database claim makes each firing run once however many there are.

- Embedded (`EmbeddedWorker`, started by the app's lifespan task): threads in the app process,
  without Huey's signal handlers, since the web server owns the process's signals.
- Standalone (`run_worker`, `python -m lumiere.cli worker`): Huey's consumer in the foreground,
  stopping gracefully on SIGINT/SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from huey.consumer import Consumer

from lumiere.config import get_settings
from lumiere.jobs.queue import install, job_queue
from lumiere.services import dispatch, schedule_clock

logger = logging.getLogger(__name__)

REAP_EVERY_S = 60.0
MIN_REAP_EVERY_S = 1.0
SHUTDOWN_TIMEOUT_S = 10.0


def reap_interval_s() -> float:
    """How often stuck runs are looked for: every minute, or as often as a run can become stuck when
    the run timeout plus its margin is shorter, so a stuck run is failed within one such span, not a
    minute after (a run a minute-long timer just missed would otherwise wait out the whole minute)."""
    settings = get_settings()
    return max(MIN_REAP_EVERY_S, min(REAP_EVERY_S, settings.run_timeout_s + settings.run_reap_margin_s))


class Clock(threading.Thread):
    """Ticks the scheduler and runs the reaper until stopped."""

    def __init__(self, tick_s: float | None = None) -> None:
        super().__init__(name="lumiere-clock", daemon=True)
        self.tick_s = tick_s or get_settings().schedule_tick_s
        self._stop_event = threading.Event()

    def run(self) -> None:
        next_reap = 0.0
        while True:
            dispatch.send_unsent()  # jobs held back while Redis was down
            try:
                schedule_clock.tick()
            except Exception:
                logger.exception("The scheduler tick failed; the next one tries again")
            if time.monotonic() >= next_reap:
                next_reap = time.monotonic() + reap_interval_s()
                try:
                    schedule_clock.reap()
                except Exception:
                    logger.exception("Reaping stuck runs failed; the next round tries again")
            if self._stop_event.wait(self._wait()):
                return

    def _wait(self) -> float:
        """Until just after the next multiple of the tick, so a firing at :00 is claimed at once."""
        return self.tick_s - (time.time() % self.tick_s) + 0.2

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(SHUTDOWN_TIMEOUT_S)


class _InProcessConsumer(Consumer):
    """Huey's consumer without signal handlers (the app's web server owns them)."""

    def _set_signal_handlers(self) -> None:
        return None


def _consumer_options() -> dict[str, object]:
    return {
        "workers": get_settings().job_workers,
        "worker_type": "thread",
        "periodic": False,  # cron firings are claimed in the database by the clock, not Huey's periodic tasks
        "initial_delay": 0.1,
        "max_delay": 2.0,
        "scheduler_interval": 1,
        "shutdown_timeout": SHUTDOWN_TIMEOUT_S,
    }


class EmbeddedWorker:
    """Worker threads and the clock inside the current process."""

    def __init__(self) -> None:
        install()
        self._consumer = _InProcessConsumer(job_queue().huey, **_consumer_options())
        self._clock = Clock()

    def start(self) -> None:
        self._consumer.start()
        self._clock.start()
        logger.info("Embedded job worker started (%s threads)", get_settings().job_workers)

    def stop(self) -> None:
        self._clock.stop()
        self._consumer.stop(graceful=True)
        logger.info("Embedded job worker stopped")


@asynccontextmanager
async def embedded_worker_lifespan() -> AsyncIterator[None]:
    """The app's lifespan task: the embedded worker runs while the app does (unless turned off)."""
    install()
    if not get_settings().embedded_worker:
        logger.info("Embedded job worker is off (LUMIERE_EMBEDDED_WORKER=false): run `make worker`")
        yield
        return
    worker = EmbeddedWorker()
    await asyncio.to_thread(worker.start)
    try:
        yield
    finally:
        await asyncio.to_thread(worker.stop)


def run_worker() -> None:
    """A standalone worker in the foreground until SIGINT/SIGTERM (`python -m lumiere.cli worker`)."""
    install()
    settings = get_settings()
    where = "Redis" if settings.redis_url else f"the SQLite queue in {settings.data_dir}"
    consumer = Consumer(job_queue().huey, **_consumer_options())
    clock = Clock()
    clock.start()
    logger.info("Lumiere worker: %s threads on %s", settings.job_workers, where)
    try:
        consumer.run()
    finally:
        clock.stop()
