"""The job queue: Huey, with a SQLite file in the data folder or a Redis server.

The queue carries job ids only; each job's state is its row in the archive (app.jobs).
That is why a lost queue message costs nothing: every consumer re-queues, when it starts
and then every minute, the jobs that are still queued or whose lease ran out.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

from huey import Huey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper
from huey.consumer import Consumer

from .archive import Archive
from .config import Settings
from .jobs import run_job, unfinished_job_ids

__all__ = [
    "EmbeddedConsumer",
    "JobQueue", "default_workers", "enqueue", "queue_for", "requeue_unfinished", "start_consumer",
    "stop_consumer",
]

log = logging.getLogger(__name__)
_REQUEUE_SECONDS = 60.0
# how long a stopping consumer waits for running jobs; one cut short is run again later
_SHUTDOWN_SECONDS = 5.0
_opening = threading.Lock()


def _make_huey(settings: Settings) -> Huey:
    if settings.queue_url:
        if not settings.queue_url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"CASEFILE_QUEUE_URL must be a redis:// URL, not {settings.queue_url!r}")
        return RedisHuey("casefile", url=settings.queue_url, results=False)
    settings.data.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("casefile", filename=str(settings.queue_file), results=False)


@dataclass(frozen=True)
class JobQueue:
    """A Huey instance and the one task it runs: "run job N of this archive"."""

    huey: Huey
    task: TaskWrapper


def queue_for(archive: Archive) -> JobQueue:
    """The archive's queue with the job task registered, opened on first use."""
    with _opening:
        if archive.queue is None:
            huey = _make_huey(archive.settings)

            def casefile_job(job_id: int) -> str:
                return run_job(archive, job_id)

            archive.queue = JobQueue(huey, huey.task(name="casefile_job")(casefile_job))
    return archive.queue


def enqueue(archive: Archive, job_id: int) -> None:
    """Puts a job's id on the queue (a consumer picks it up)."""
    queue_for(archive).task(job_id)


def requeue_unfinished(archive: Archive, *, queued: bool = True) -> int:
    """Queues again the jobs nobody runs (abandoned, and with ``queued`` the waiting ones too).

    A job queued twice runs once (``app.jobs.claim_job``), so a duplicate costs nothing.
    """
    ids = unfinished_job_ids(archive, queued=queued)
    for job_id in ids:
        enqueue(archive, job_id)
    return len(ids)


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer without its signal handlers: it runs inside another program's process."""

    def _set_signal_handlers(self) -> None:  # the host (uvicorn, the worker command) owns signals
        pass


def default_workers(settings: Settings) -> int:
    return settings.queue_workers or os.cpu_count() or 1


def start_consumer(archive: Archive, workers: int | None = None) -> tuple[EmbeddedConsumer, threading.Event]:
    """Starts worker threads consuming the archive's queue; returns the consumer and its stop flag.

    Jobs accepted before (a restart) are re-queued now; abandoned ones (their worker died)
    every minute while it runs.
    """
    consumer = EmbeddedConsumer(
        queue_for(archive).huey, workers=workers or default_workers(archive.settings), worker_type="thread",
        initial_delay=0.05, max_delay=1.0, periodic=False, check_worker_health=False,
        shutdown_timeout=_SHUTDOWN_SECONDS,
    )
    consumer.start()
    stopped = threading.Event()

    def requeue_loop() -> None:
        first = True
        while True:
            try:
                requeue_unfinished(archive, queued=first)
                first = False
            except Exception:  # a busy archive or a queue hiccup: try again next round
                log.warning("re-queueing unfinished jobs failed", exc_info=True)
            if stopped.wait(_REQUEUE_SECONDS):
                return

    threading.Thread(target=requeue_loop, name="casefile-requeue", daemon=True).start()
    return consumer, stopped


def stop_consumer(consumer: EmbeddedConsumer, stopped: threading.Event, graceful: bool = True) -> None:
    """Stops the consumer; with ``graceful`` it waits for running jobs to finish."""
    stopped.set()
    consumer.stop(graceful=graceful)
