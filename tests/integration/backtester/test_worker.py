"""The `run_backtest` job on real Redis, run by an RQ worker in burst mode.

The worker is its own process (`python -m services.backtester.main work --burst`), as in
production: RQ forks a work horse per job, and a fork of this test process, whose polars and
LightGBM thread pools are already running, can deadlock.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from rq.job import Job, JobStatus

from services.common.queue import JobSpec, enqueue, job_view
from services.engine.metrics import flatten
from tests.conftest import REPO
from tests.integration.backtester.conftest import ML_CONFIG, SYMBOL, VERSION, World

SPEC = JobSpec(queue="backtest", func="services.backtester.worker.run_backtest", timeout_s=120)
WORKER_TIMEOUT_S = 120


def run_burst_worker() -> None:
    """Work the backtest queue until it is empty, in a fresh process with this environment."""
    done = subprocess.run(
        [sys.executable, "-m", "services.backtester.main", "work", "--burst"],
        cwd=REPO,
        capture_output=True,
        timeout=WORKER_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]


@pytest.fixture
def worker_env(world: World, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> World:
    """Point BacktesterSettings (read inside the job) at this test's data root and registry."""
    monkeypatch.setenv("TRADY_DATA_DIR", str(world.data_dir))
    monkeypatch.setenv("TRADY_DATABASE_URL", world.registry_url)
    monkeypatch.setenv("TRADY_REDIS_URL", redis_url)
    monkeypatch.setenv("TRADY_ML_CONFIG", str(ML_CONFIG))
    monkeypatch.setenv("TRADY_LOG_JSON", "false")
    return world


def test_job_writes_the_report(worker_env: World, redis_conn: redis.Redis) -> None:
    job = enqueue(redis_conn, "backtest", SPEC, {"symbol": SYMBOL, "run_id": "job-run"})
    run_burst_worker()

    view = job_view(redis_conn, job.id)
    assert view is not None and view["status"] == "finished", view
    assert view["progress"] == 1.0
    result = view["result"]
    assert result["run_id"] == "job-run" and result["model_version"] == VERSION
    report = json.loads(Path(result["report_json_path"]).read_text())
    assert flatten(report["summary"]) == result["summary"]
    assert Path(result["report_html_path"]).is_file()
    # The worker took its defaults from the example config (the EV rule, 15 bars, 5.5 bps).
    config = report["config"]
    assert (config["mode"], config["max_hold_bars"], config["fee_bps"]) == ("ev", 15, 5.5)
    assert result["report_json_path"].startswith(str(worker_env.data_dir.resolve()))


def test_failing_jobs_fail_at_once_with_a_readable_error(
    worker_env: World, redis_conn: redis.Redis
) -> None:
    unknown = enqueue(
        redis_conn, "backtest", SPEC, {"symbol": SYMBOL, "model_version": "0.0.1+20200101_000000"}
    )
    typo = enqueue(redis_conn, "backtest", SPEC, {"symbol": SYMBOL, "holdng_bars": 3})
    run_burst_worker()

    for job, error in ((unknown, "NotFound"), (typo, "InvalidInput")):
        fetched = Job.fetch(job.id, connection=redis_conn)
        assert fetched.get_status() == JobStatus.FAILED
        assert fetched.retries_left == 0  # not retried: retrying cannot fix it
        view = job_view(redis_conn, job.id)
        assert view is not None and view["error"].startswith(error), view
