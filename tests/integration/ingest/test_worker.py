"""The ingest job on a real Redis queue, run by an RQ worker in burst mode.

The worker runs as `python -m services.ingest.main work --burst` in a fresh process (the
composition root, as deployed): RQ forks a work horse per job, and polars' thread pool does
not survive a fork of a process that has already used it, which this pytest process has.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from services.common.queue import JobSpec, enqueue, job_view
from services.ingest.bar_store import BarStore
from services.ingest.settings import INGEST_QUEUE
from tests.conftest import REPO
from tests.integration.ingest.helpers import SPOT, SYMBOL, snapshot

SPEC = JobSpec(queue=INGEST_QUEUE, func="services.ingest.worker.ingest_file", timeout_s=120)
WORKER_TIMEOUT_S = 120


@pytest.fixture(autouse=True)
def worker_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path, redis_url: str) -> None:
    monkeypatch.setenv("TRADY_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TRADY_REDIS_URL", redis_url)


def run_worker(redis_conn: redis.Redis, queues: list[str], burst: bool) -> None:
    """Work the queue until empty in a separate worker process (env set by `worker_env`)."""
    assert burst and queues == [INGEST_QUEUE]
    subprocess.run(
        [sys.executable, "-m", "services.ingest.main", "work", "--burst"],
        cwd=REPO,
        env=dict(os.environ),
        check=True,
        timeout=WORKER_TIMEOUT_S,
        capture_output=True,
    )


def test_job_stores_bars_and_returns_the_result(redis_conn: redis.Redis, data_dir: Path) -> None:
    payload = {"path": str(SPOT), "symbol": SYMBOL, "kind": "auto", "display_name": "spot.gz"}
    job = enqueue(redis_conn, "ingest", SPEC, payload)

    run_worker(redis_conn, [INGEST_QUEUE], burst=True)

    view = job_view(redis_conn, job.id)
    assert view is not None
    assert view["status"] == "finished", view
    assert view["result"]["rows_stored"] == 19_904
    assert view["result"]["kind"] == "trades"
    assert view["progress"] == 1.0
    assert "1m bars" in view["message"]
    assert BarStore(data_dir).read(SYMBOL, "1m").height == view["result"]["bars_1m"] == 12


def test_bad_input_fails_at_once_with_a_readable_error(
    redis_conn: redis.Redis, data_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,price,size,side\n1723161300,1,1,Buy\n1723161301,1,1\n")
    bad_file = enqueue(redis_conn, "ingest", SPEC, {"path": str(bad), "symbol": SYMBOL})
    no_symbol = enqueue(redis_conn, "ingest", SPEC, {"path": str(SPOT)})

    run_worker(redis_conn, [INGEST_QUEUE], burst=True)  # returns: no retry is scheduled

    view = job_view(redis_conn, bad_file.id)
    assert view is not None
    assert view["status"] == "failed"
    assert view["error"] == (
        "InvalidInput: bad.csv line 3, field 'side': missing (the line has 3 of 4 fields; "
        "is it truncated?)"
    )
    assert view["retries_left"] == 0
    view = job_view(redis_conn, no_symbol.id)
    assert view is not None and view["status"] == "failed"
    assert view["error"] == "InvalidInput: ingest job payload needs 'symbol' as a non-empty string"
    assert snapshot(data_dir) == {}
