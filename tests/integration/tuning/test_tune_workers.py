"""The tune job on real RQ workers: one worker alone, and two sharing one study on PostgreSQL
(the job starts a helper job on the train queue; the study reaches its trial count)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
import redis

from services.common.queue import JobSpec, enqueue, job_view
from services.trainer.registry import migrate
from tests.integration.trainer.helpers import LiveGrpc, start_features_server, write_candle_bars
from tests.integration.tuning.conftest import QUICK

REPO = Path(__file__).resolve().parents[3]
SPEC = JobSpec(queue="train", func="services.trainer.worker.tune", timeout_s=600)
FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


def _worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "services.trainer.main", "work", "--burst"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


@pytest.fixture
def env(data_dir: Path, redis_url: str, sqlite_url: str, live_grpc: LiveGrpc) -> dict[str, str]:
    write_candle_bars(data_dir, 30_000)
    migrate.upgrade(sqlite_url)
    config = data_dir / "ml.yaml"
    config.write_text((REPO / "configs" / "ml.example.yaml").read_text() + QUICK)
    return {
        **os.environ,
        "TRADY_DATA_DIR": str(data_dir),
        "TRADY_REDIS_URL": redis_url,
        "TRADY_DATABASE_URL": sqlite_url,
        "TRADY_ML_CONFIG": str(config),
        "TRADY_FEATURES_ADDR": start_features_server(live_grpc, data_dir),
    }


def test_one_worker_runs_the_study(env: dict[str, str], redis_conn: redis.Redis) -> None:
    job = enqueue(redis_conn, "tune", SPEC, {"symbol": "BTCUSDT", "trials": 3, "study": "solo"})
    worker = _worker(env)
    out, _ = worker.communicate(timeout=300)
    assert worker.returncode == 0, out[-3000:]
    view = job_view(redis_conn, job.id)
    assert view is not None and view["status"] == "finished", view
    result = view["result"]
    assert result["study_dir"].endswith("models/BTCUSDT/solo")
    assert Path(result["summary"]).exists()
    assert result["trials"]["complete"] + result["trials"].get("pruned", 0) == 3
    # The job's result names the walk-forward report, written in the study folder.
    assert Path(result["report_json"]) == Path(result["study_dir"]) / "report.json"
    assert Path(result["report_html"]).exists()
    assert view["progress"] == 1.0 and "best trial" in view["message"]


def test_two_workers_share_a_study_on_postgresql(
    env: dict[str, str], redis_conn: redis.Redis, postgres_url: str
) -> None:
    env = {**env, "TRADY_TUNING_STORAGE_URL": postgres_url}
    job = enqueue(
        redis_conn, "tune", SPEC,
        {"symbol": "BTCUSDT", "trials": 8, "study": "shared", "workers": 2},
    )  # fmt: skip
    first = _worker(env)
    deadline = time.monotonic() + 120
    helper = None
    while helper is None and time.monotonic() < deadline:
        ids = redis_conn.lrange("rq:queue:trady:train", 0, -1)
        helper = next((i.decode() for i in ids if i.decode() != job.id), None)
        time.sleep(0.2)
    if helper is None:
        first.kill()
        out, _ = first.communicate()
        pytest.fail(
            f"the tune job started no helper job: {job_view(redis_conn, job.id)}\n{out[-3000:]}"
        )
    second = _worker(env)
    for worker in (first, second):
        out, _ = worker.communicate(timeout=600)
        assert worker.returncode == 0, out[-3000:]
    view = job_view(redis_conn, job.id)
    assert view is not None and view["status"] == "finished", view
    helped = job_view(redis_conn, helper)
    assert helped is not None and helped["status"] == "finished", helped
    study = optuna.load_study(study_name="shared", storage=postgres_url)
    finished = study.get_trials(deepcopy=False, states=FINISHED)
    assert len(finished) >= 8
    assert view["result"]["storage"] == postgres_url
    assert not Path(view["result"]["study_dir"], "optuna.db").exists()
    # The report, written by the first job after the helpers, covers every worker's trials.
    report = json.loads(Path(view["result"]["report_json"]).read_text())
    assert len(report["history"]) >= len(finished) >= 8
