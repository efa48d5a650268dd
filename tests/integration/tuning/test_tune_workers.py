"""The tune job on real RQ workers: one worker alone, and two sharing one study on PostgreSQL
(the job starts a helper job on the train queue; the study reaches its trial count, and no
worker process holds more than its pool's two connections)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
import redis

from services.common.queue import JobSpec, enqueue, job_view
from services.trainer.tuning.storage import APPLICATION_PREFIX, SETUP_PREFIX
from tests.integration.tuning.pg_watch import ConnectionWatch

REPO = Path(__file__).resolve().parents[3]
SPEC = JobSpec(queue="train", func="services.trainer.worker.tune", timeout_s=600)
FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
POOL = 2
"""A study storage's pool: one connection plus one overflow for the heartbeat thread."""


def _worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "services.trainer.main", "work", "--burst"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def test_one_worker_runs_the_study(worker_env: dict[str, str], redis_conn: redis.Redis) -> None:
    job = enqueue(redis_conn, "tune", SPEC, {"symbol": "BTCUSDT", "trials": 3, "study": "solo"})
    worker = _worker(worker_env)
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
    worker_env: dict[str, str], redis_conn: redis.Redis, postgres_url: str
) -> None:
    env = {**worker_env, "TRADY_TUNING_STORAGE_URL": postgres_url}
    job = enqueue(
        redis_conn, "tune", SPEC,
        {"symbol": "BTCUSDT", "trials": 8, "study": "shared", "workers": 2},
    )  # fmt: skip
    with ConnectionWatch(postgres_url) as watch:
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
    # every worker counts the trials holding a slot before it starts one, so none overshoots
    assert len(finished) == 8
    # each worker process prepares the shared store once at start, on connections of its own
    # (optuna's schema upgrade runs alembic on an engine we cannot name: the one unnamed); the
    # bound below is about the pools trials run on
    setup = {name for name in watch.peak if name.startswith(f"{SETUP_PREFIX}:") or not name}
    peak = {name: count for name, count in watch.peak.items() if name not in setup}
    assert all(name.startswith(f"{APPLICATION_PREFIX}:") for name in peak), watch.peak
    # trials are stamped by the process that ran them; the helper's worker starts seconds after
    # the leader (it waits for the helper job), so on trials this short it may find none left
    ran_by = {t.user_attrs["worker"] for t in finished}
    assert ran_by <= {name.split(":", 1)[1] for name in peak}, (ran_by, watch.peak)
    assert view["result"]["storage"] == postgres_url
    assert not Path(view["result"]["study_dir"], "optuna.db").exists()
    # The report, written by the first job after the helpers, covers every worker's trials.
    report = json.loads(Path(view["result"]["report_json"]).read_text())
    assert len(report["history"]) >= len(finished) >= 8
    # the bounded pool, seen from the server: each job's process (one per worker at a time)
    # held at most its two connections, and nothing else connected to the study's database
    assert watch.samples > 100 and len(peak) == 2, watch.peak
    assert all(name.startswith(f"{APPLICATION_PREFIX}:") for name in peak), watch.peak
    assert max(peak.values()) <= POOL, watch.peak
