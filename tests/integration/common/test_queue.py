"""Job plumbing against a real Redis and real RQ worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

from services.common.queue import JobSpec, enqueue, job_view, run_worker, stop_job

REPO = Path(__file__).resolve().parents[3]
SPEC = JobSpec(queue="qtest", func="tests.integration.common.jobs.slow_once", timeout_s=120)


def start_worker(redis_url: str) -> subprocess.Popen[bytes]:
    code = (
        "import redis, sys; from services.common.queue import run_worker; "
        f"run_worker(redis.Redis.from_url({redis_url!r}), ['qtest'])"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(predicate, timeout_s: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_killed_workers_job_is_rerun_by_another_worker(
    redis_url: str, redis_conn: redis.Redis, tmp_path: Path
) -> None:
    marker = tmp_path / "attempts"
    job = enqueue(redis_conn, "qtest", SPEC, {"marker": str(marker)})
    first = start_worker(redis_url)
    try:
        wait_for(lambda: marker.exists(), 30, "the first attempt to start")
        # kill only the worker process: its work horse must die with it, not run on orphaned
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    second = start_worker(redis_url)
    try:
        wait_for(
            lambda: (job_view(redis_conn, job.id) or {}).get("status") == "finished",
            60,
            "the abandoned job to be re-run and finish",
        )
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(20)
    view = job_view(redis_conn, job.id)
    assert view is not None
    assert view["result"] == {"attempts": 2}
    assert view["retries_left"] == 1


def test_bad_input_fails_at_once_with_a_readable_error(redis_conn: redis.Redis) -> None:
    spec = JobSpec(queue="qtest", func="tests.integration.common.jobs.bad_input", timeout_s=30)
    job = enqueue(redis_conn, "qtest", spec, {"name": "trades.csv"})
    run_worker(redis_conn, ["qtest"], burst=True)
    view = job_view(redis_conn, job.id)
    assert view is not None
    assert view["status"] == "failed"
    assert view["error"] == "InvalidInput: trades.csv line 3, field 'price': 'abc' is not a number"
    assert view["retries_left"] == 0  # retrying bad input cannot help


def test_identical_submissions_share_one_job_while_active(redis_conn: redis.Redis) -> None:
    spec = JobSpec(queue="qtest", func="tests.integration.common.jobs.sleepy", timeout_s=30)
    first = enqueue(redis_conn, "qtest", spec, {"seconds": 0})
    again = enqueue(redis_conn, "qtest", spec, {"seconds": 0})
    other = enqueue(redis_conn, "qtest", spec, {"seconds": 0.01})
    assert first.id == again.id != other.id
    assert redis_conn.llen("rq:queue:trady:qtest") == 2
    run_worker(redis_conn, ["qtest"], burst=True)
    rerun = enqueue(redis_conn, "qtest", spec, {"seconds": 0})  # finished: may run again
    assert rerun.id == first.id
    assert (job_view(redis_conn, rerun.id) or {})["status"] == "queued"


def test_a_queued_job_can_be_canceled(redis_conn: redis.Redis) -> None:
    spec = JobSpec(queue="qtest", func="tests.integration.common.jobs.sleepy", timeout_s=30)
    job = enqueue(redis_conn, "qtest", spec, {"seconds": 5})
    assert stop_job(redis_conn, job.id) == "canceled"
    assert (job_view(redis_conn, job.id) or {})["status"] == "canceled"


def test_a_running_job_can_be_stopped(redis_url: str, redis_conn: redis.Redis) -> None:
    spec = JobSpec(queue="qtest", func="tests.integration.common.jobs.sleepy", timeout_s=60)
    job = enqueue(redis_conn, "qtest", spec, {"seconds": 30})
    worker = start_worker(redis_url)
    try:
        wait_for(
            lambda: (job_view(redis_conn, job.id) or {}).get("status") == "started",
            30,
            "the job to start",
        )
        assert stop_job(redis_conn, job.id) == "stopping"
        wait_for(
            lambda: (job_view(redis_conn, job.id) or {}).get("status") == "stopped",
            30,
            "the job to stop",
        )
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
