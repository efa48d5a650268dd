"""The drill: two trainer workers (the production command, real RQ workers on a real Redis
queue) share a study on PostgreSQL, and one of them is SIGKILLed while it runs a trial. The
trial is failed by its stale heartbeat and retried by the other worker, the study ends with
exactly its count of finished trials, the killed worker's RQ job is re-run and finishes, and
the study folder's candidates are whole. Killing the leader (the `tune` job, which writes
the candidates) and killing the helper (a `tune_trials` job) are different drills."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import optuna
import pytest
import redis
from rq import Queue

from services.common.queue import JobSpec, enqueue, job_view, queue_name
from services.research import study_files
from services.trainer.tuning.candidates import best_trials
from services.trainer.tuning.shared import WORKER_ATTR
from services.trainer.tuning.storage import APPLICATION_PREFIX
from tests.integration.tuning.pg_watch import ConnectionWatch
from tests.integration.tuning.workers import (
    alive,
    parent_pid,
    start_worker,
    stop_workers,
    tail,
    wait_for,
)

SPEC = JobSpec(queue="train", func="services.trainer.worker.tune", timeout_s=600)
TRIALS = 4
CANDIDATES = 3  # the quick config's
State = optuna.trial.TrialState
FINISHED = (State.COMPLETE, State.PRUNED)
# Seconds, not production's 10 / 30, so a dead worker's trial is failed quickly; the grace
# leaves a live worker's heartbeat thread room on a loaded two-core machine.
HEARTBEAT = {"TRADY_TUNING_HEARTBEAT_S": "1", "TRADY_TUNING_GRACE_S": "5"}


def _running_trial_of(study: optuna.Study, worker_pid: int) -> tuple[int, int] | None:
    """(trial number, work horse pid) of a trial the worker's horse is running."""
    for trial in study.get_trials(deepcopy=False, states=(State.RUNNING,)):
        stamp = trial.user_attrs.get(WORKER_ATTR, "")
        horse = int(stamp.split("@")[0]) if stamp else 0
        if horse and parent_pid(horse) == worker_pid:
            return trial.number, horse
    return None


def _helper_job(conn: redis.Redis, leader: str) -> str | None:
    ids = Queue(queue_name("train"), connection=conn).get_job_ids()
    return next((i for i in ids if i != leader), None)


def _assert_candidates_whole(study: optuna.Study, study_dir: Path, killed: int) -> None:
    """candidates.json ranks the study's best complete trials, and each one's files are there,
    verified by their SHA256; no other candidate files, no half-written temp files."""
    rows = json.loads((study_dir / study_files.CANDIDATES).read_text())
    expected = [t.number for t in best_trials(study, CANDIDATES)]
    assert [row["trial"] for row in rows] == expected
    assert [row["rank"] for row in rows] == list(range(1, len(expected) + 1))
    assert killed not in expected
    values = {t.number: t.value for t in study.get_trials(deepcopy=False)}
    for row in rows:
        summary = study_files.read_summary(study_dir / row["summary"])
        assert summary.trial == row["trial"] and summary.document["score"] == values[row["trial"]]
        summary.train_config()  # raises on a changed file
        model, sidecar, model_sha, sidecar_sha = summary.model_files()
        assert study_files.file_sha256(model) == model_sha
        assert study_files.file_sha256(sidecar) == sidecar_sha
    assert sorted(p.name for p in study_dir.glob("tuning_summary_*.json")) == sorted(
        row["summary"] for row in rows
    )
    assert len(list(study_dir.glob("model_*"))) == len(rows)
    assert not list(study_dir.glob(".*.tmp"))


@pytest.mark.postgres
@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
@pytest.mark.parametrize("victim", ["helper", "leader"])
def test_a_worker_killed_mid_trial_loses_nothing(
    victim: str,
    worker_env: dict[str, str],
    redis_conn: redis.Redis,
    postgres_url: str,
    tmp_path: Path,
) -> None:
    env = {**worker_env, **HEARTBEAT, "TRADY_TUNING_STORAGE_URL": postgres_url}
    leader_job = enqueue(
        redis_conn, "tune", SPEC,
        {"symbol": "BTCUSDT", "trials": TRIALS, "study": "drill", "workers": 2},
    )  # fmt: skip
    logs = [tmp_path / "leader.log", tmp_path / "helper.log"]
    workers = [start_worker(env, logs[0])]
    # the test's own reads of the study, named so the connection watch can tell them apart
    reader = optuna.storages.RDBStorage(
        postgres_url, engine_kwargs={"connect_args": {"application_name": "drill-test"}}
    )
    try:
        with ConnectionWatch(postgres_url) as watch:
            helper_job = wait_for(
                lambda: _helper_job(redis_conn, leader_job.id), 120, "the helper job"
            )
            workers.append(start_worker(env, logs[1]))
            target = workers[0] if victim == "leader" else workers[1]
            study = optuna.load_study(study_name="drill", storage=reader)
            killed, horse = wait_for(
                lambda: _running_trial_of(study, target.pid), 120, f"a trial of the {victim}"
            )
            # the worker, not its horse: the horse dies with it (PR_SET_PDEATHSIG), as on a
            # machine that goes away; an orphaned horse would keep the trial's heartbeat alive
            os.kill(target.pid, signal.SIGKILL)
            target.wait(10)
            wait_for(lambda: not alive(horse), 10, "the killed worker's work horse to die")
            jobs = (leader_job.id, helper_job)
            wait_for(
                lambda: all(
                    (job_view(redis_conn, j) or {}).get("status") == "finished" for j in jobs
                ),
                180,
                "both jobs to finish (the killed one re-run by the other worker)",
            )
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{tail(*logs)}") from exc
    finally:
        stop_workers(workers)

    trials = study.get_trials(deepcopy=False)
    by_number = {t.number: t for t in trials}
    # the killed trial was failed by its stale heartbeat (no exception was recorded) ...
    assert by_number[killed].state == State.FAIL
    assert "fail_reason" not in by_number[killed].system_attrs
    # ... and its copy ran to the end on the surviving worker, with the params the killed
    # trial had drawn (define-by-run: those it had not reached yet the copy draws itself)
    copies = [
        t
        for t in trials
        if optuna.storages.RetryHeartbeatStaleTrialCallback.retried_trial_number(t) == killed
    ]
    assert len(copies) == 1, [(t.number, t.state, t.system_attrs) for t in trials]
    copy = copies[0]
    assert copy.state in FINISHED
    assert by_number[killed].params.items() <= copy.params.items()
    assert copy.user_attrs[WORKER_ATTR] != by_number[killed].user_attrs[WORKER_ATTR]
    # exactly the count: the killed trial held its slot until its copy took it over
    assert [t.number for t in trials if t.state == State.FAIL] == [killed]
    assert sum(t.state in FINISHED for t in trials) == TRIALS
    assert len(trials) == TRIALS + 1

    # the killed worker's job was abandoned, re-run once by the other worker, and finished
    views = {
        "leader": job_view(redis_conn, leader_job.id),
        "helper": job_view(redis_conn, helper_job),
    }
    for role, view in views.items():
        assert view is not None and view["status"] == "finished", (role, view)
        assert view["retries_left"] == (1 if role == victim else 2), (role, view)
    result = views["leader"]["result"]  # type: ignore[index]
    assert result["trials"].get("complete", 0) + result["trials"].get("pruned", 0) == TRIALS
    assert result["trials"]["fail"] == 1
    _assert_candidates_whole(study, Path(result["study_dir"]), killed)

    # bounded pools, seen from the server: no worker process held more than two connections
    workers_seen = {n: c for n, c in watch.peak.items() if n.startswith(APPLICATION_PREFIX)}
    assert len(workers_seen) >= 2 and max(workers_seen.values()) <= 2, watch.peak
