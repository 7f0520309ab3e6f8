"""The job queue: SQLite by default, Redis when configured, and `casefile worker` on its own."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from app.archive import open_archive
from app.config import Settings
from app.jobs import claim_job, get_job, submit_job, unfinished_job_ids
from app.main import create_app
from app.queue import queue_for, requeue_unfinished, start_consumer, stop_consumer
from tests.conftest import CASEFILE, SAMPLES

EML = SAMPLES / "northwind" / "mail" / "greg-staging-feedback.eml"
REDIS_URL = "redis://127.0.0.1:6379/15"


def _wait_done(archive, job_id: int, seconds: float = 60) -> str:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    state = ""
    while time.monotonic() < deadline:
        state = get_job(archive, job_id=job_id).state
        if state in ("done", "failed"):
            return state
        time.sleep(0.1)
    return state


def _upload(settings: Settings, path: Path = EML) -> dict[str, object]:
    with TestClient(create_app(settings)) as client:  # no workers: the file waits on the queue
        response = client.post("/api/uploads", files=[("file", (path.name, path.read_bytes()))])
        assert response.status_code == 202
        return response.json()["files"][0]  # type: ignore[no-any-return]


def _consumed(settings: Settings, job_id: int, queue_kind: str) -> None:
    """A queue of ``queue_kind`` holds the job's message, and a consumer started now runs it."""
    archive = open_archive(settings)
    try:
        assert type(queue_for(archive).huey).__name__ == queue_kind
        assert queue_for(archive).huey.pending_count() == 1  # the message outlived the server
        consumer = start_consumer(archive, workers=1)
        try:
            assert _wait_done(archive, job_id) == "done"
        finally:
            stop_consumer(*consumer)
    finally:
        archive.close()


def test_the_default_queue_is_a_sqlite_file_in_the_data_folder(settings: Settings) -> None:
    uploaded = _upload(settings)
    assert settings.queue_file.is_file()
    _consumed(settings, uploaded["job_id"], "SqliteHuey")  # type: ignore[arg-type]


def test_a_redis_queue_carries_jobs_to_a_consumer(tmp_path: Path) -> None:
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()  # database 15 is this test's own
    settings = Settings(data=tmp_path / "data", actor="tester", queue_url=REDIS_URL)
    try:
        uploaded = _upload(settings)
        assert not settings.queue_file.exists()
        _consumed(settings, uploaded["job_id"], "RedisHuey")  # type: ignore[arg-type]
    finally:
        connection.flushdb()


def test_a_bad_queue_url_is_refused_with_a_message(tmp_path: Path) -> None:
    archive = open_archive(Settings(data=tmp_path / "data", queue_url="amqp://127.0.0.1"))
    try:
        with pytest.raises(ValueError, match="must be a redis:// URL"):
            queue_for(archive)
    finally:
        archive.close()


def test_an_abandoned_job_is_queued_again_and_a_lost_message_costs_nothing(settings: Settings) -> None:
    archive = open_archive(settings)
    try:
        job = submit_job(archive, kind="verify-archive")
        assert claim_job(archive, job.id)  # a worker took it ... and died
        assert not claim_job(archive, job.id)  # nobody else may run it while its lease lasts
        assert unfinished_job_ids(archive) == []
        from sqlalchemy import text

        with archive.write() as uow:
            uow.session.connection().execute(
                text("UPDATE job SET lease_until_utc = '2000-01-01 00:00:00.000000' WHERE id = :id"), {"id": job.id}
            )
        assert unfinished_job_ids(archive, queued=False) == [job.id]
        assert requeue_unfinished(archive, queued=False) == 1
        consumer = start_consumer(archive, workers=1)
        try:
            assert _wait_done(archive, job.id) == "done"
        finally:
            stop_consumer(*consumer)
        assert get_job(archive, job_id=job.id).attempts == 2
    finally:
        archive.close()


def test_casefile_worker_reads_what_the_server_accepted(settings: Settings) -> None:
    uploaded = _upload(settings)
    env = {**os.environ, "CASEFILE_DATA": str(settings.data)}
    worker = subprocess.Popen(
        [str(CASEFILE), "worker", "--concurrency", "1"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        archive = open_archive(settings)
        try:
            assert _wait_done(archive, uploaded["job_id"]) == "done"  # type: ignore[arg-type]
        finally:
            archive.close()
    finally:
        worker.send_signal(signal.SIGTERM)
        _out, errors = worker.communicate(timeout=60)
    assert worker.returncode == 0, errors
    assert "1 worker(s)" in errors and "Traceback" not in errors
