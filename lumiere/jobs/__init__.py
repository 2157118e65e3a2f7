"""The job queue: scheduled runs, "Run now", emails and large exports run as jobs.

Huey runs them: on a SQLite file in the data dir by default, with worker threads and the scheduler
inside the app process (`LUMIERE_EMBEDDED_WORKER`, on by default); on Redis when `LUMIERE_REDIS_URL`
is set, where any number of `python -m lumiere.cli worker` processes share the work. This layer sits
above the services (beside `api` and `state`): it installs itself as the services' way to enqueue
(`services.dispatch`) and calls the services to do each job's work.
"""

from lumiere.jobs.queue import enqueue, install, job_queue, reset_job_queues
from lumiere.jobs.runtime import EmbeddedWorker, embedded_worker_lifespan, run_worker

__all__ = [
    "EmbeddedWorker", "embedded_worker_lifespan", "enqueue", "install", "job_queue", "reset_job_queues", "run_worker",
]
