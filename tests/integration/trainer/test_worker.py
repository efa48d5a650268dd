"""The train job on a real Redis, run by the trainer's own worker process in burst mode
(`python -m services.trainer.main work --burst`, configured only through the environment); it
reaches a live features server and writes a real SQLite registry.

The worker runs as a separate process on purpose: RQ forks a work horse per job, and the job
talks gRPC, which cannot survive a fork from a process (like this test's) running gRPC threads.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import redis

from services.common.db import make_engine
from services.common.queue import JobSpec, enqueue, job_view
from services.trainer.main import QUEUE
from services.trainer.registry import migrate
from services.trainer.registry.repository import RegistryRepository
from tests.integration.trainer.helpers import (
    CONFIG,
    SYMBOL,
    LiveGrpc,
    start_features_server,
    write_candle_bars,
)

SPEC = JobSpec(queue=QUEUE, func="services.trainer.worker.train", timeout_s=120)
REPO = Path(__file__).resolve().parents[3]


def run_burst_worker() -> None:
    """Work the train queue until it is empty, in a fresh process (environment inherited)."""
    done = subprocess.run(
        [sys.executable, "-m", "services.trainer.main", "work", "--burst"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.fixture
def worker_env(
    data_dir: Path,
    redis_url: str,
    sqlite_url: str,
    live_grpc: LiveGrpc,
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    write_candle_bars(data_dir)
    monkeypatch.setenv("TRADY_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TRADY_REDIS_URL", redis_url)
    monkeypatch.setenv("TRADY_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TRADY_ML_CONFIG", str(CONFIG))
    monkeypatch.setenv("TRADY_FEATURES_ADDR", start_features_server(live_grpc, data_dir))
    migrate.upgrade(sqlite_url)
    return sqlite_url


def test_train_job_registers_a_model(worker_env: str, redis_conn: redis.Redis) -> None:
    payload = {"symbol": "btcusdt", "config_yaml": "training: {num_boost_round: 50}"}
    job = enqueue(redis_conn, "train", SPEC, payload)
    assert job.origin == "trady:train"

    run_burst_worker()

    view = job_view(redis_conn, job.id)
    assert view is not None
    assert view["status"] == "finished", view["error"]
    assert view["progress"] == 1.0 and "registered" in view["message"]
    result = view["result"]
    assert result["symbol"] == SYMBOL and result["is_active"] is False
    assert 0.0 < result["metrics"]["auc"] < 1.0
    assert result["params"]["num_boost_round"] == 50
    engine = make_engine(worker_env)
    try:
        record = RegistryRepository(engine).get(result["version"])
    finally:
        engine.dispose()
    assert record.sha256 == result["sha256"] and record.test_start_ms == result["test_start_ms"]
    assert Path(record.artifact_path).is_file()


BAD_JOBS: list[tuple[dict[str, Any], str]] = [
    ({"symbol": SYMBOL, "epochs": 5}, "unknown payload keys ['epochs']"),
    ({"symbol": SYMBOL, "start_ms": "soon"}, "start_ms and end_ms must be integers"),
    ({"symbol": SYMBOL, "config_yaml": "training: {valid_fraction: 0}"}, "valid_fraction"),
    ({"symbol": "NOSUCH"}, "NotFound"),
]


def test_bad_jobs_fail_at_once_with_a_readable_error(
    worker_env: str, redis_conn: redis.Redis
) -> None:
    jobs = [
        (enqueue(redis_conn, "train", SPEC, payload), fragment) for payload, fragment in BAD_JOBS
    ]
    run_burst_worker()  # one worker run for all of them: each fails without using up retries
    for job, fragment in jobs:
        view = job_view(redis_conn, job.id)
        assert view is not None
        assert view["status"] == "failed", view
        assert fragment in view["error"]
        assert view["retries_left"] == 0
