"""The build_features job on a real Redis, run by an RQ worker in burst mode.

The worker runs as its own process (`python -m services.features.main work --burst`), as in
production: RQ forks a work horse per job, and a fork of this test process, whose polars
thread pool is already running, could deadlock inside polars.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import redis

from services.common.queue import JobSpec, enqueue, job_view
from services.features.main import QUEUE
from services.features.store import DatasetStore
from tests.integration.features.helpers import CONFIG, candles, ms, write_bars

SPEC = JobSpec(queue=QUEUE, func="services.features.worker.build_features", timeout_s=120)
REPO = Path(__file__).resolve().parents[3]
WORKER_TIMEOUT_S = 120


def run_burst_worker() -> None:
    """Work the features queue until it is empty, in a fresh process with this environment."""
    done = subprocess.run(
        [sys.executable, "-m", "services.features.main", "work", "--burst"],
        cwd=REPO,
        capture_output=True,
        timeout=WORKER_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]


@pytest.fixture
def worker_env(data_dir: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRADY_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TRADY_REDIS_URL", redis_url)
    monkeypatch.setenv("TRADY_ML_CONFIG", str(CONFIG))
    monkeypatch.setenv("TRADY_LOG_JSON", "false")
    return data_dir


def test_build_features_job(worker_env: Path, redis_conn: redis.Redis) -> None:
    btc = candles(3_000)
    write_bars(worker_env, "BTCUSDT", btc)
    payload = {"symbol": "BTCUSDT", "start_ms": ms(btc, 100), "end_ms": 0}
    job = enqueue(redis_conn, "features", SPEC, payload)
    assert job.origin == "trady:features"

    run_burst_worker()

    view = job_view(redis_conn, job.id)
    assert view is not None
    assert view["status"] == "finished", view["error"]
    assert view["progress"] == 1.0
    result = view["result"]
    assert result["symbol"] == "BTCUSDT"
    assert result["rows"] == 2_900
    assert result["first_ms"] == ms(btc, 100)
    assert result["label"]["kind"] == "forward_return"
    meta = DatasetStore(worker_env).meta("BTCUSDT")
    assert meta.rows == 2_900 and meta.feature_names == result["feature_names"]


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"symbol": "BTCUSDT", "config_yaml": "features: {timeframes: [3m]}"}, "timeframes"),
        ({"symbol": "BTCUSDT", "start": 5}, "unknown payload keys ['start']"),
        ({"symbol": "NOSUCH"}, "NotFound"),
    ],
)
def test_bad_jobs_fail_at_once_with_a_readable_error(
    worker_env: Path, redis_conn: redis.Redis, payload: dict[str, object], fragment: str
) -> None:
    write_bars(worker_env, "BTCUSDT", candles(100))
    job = enqueue(redis_conn, "features", SPEC, payload)
    run_burst_worker()
    view = job_view(redis_conn, job.id)
    assert view is not None
    assert view["status"] == "failed"
    assert fragment in view["error"]
    assert view["retries_left"] == 0
