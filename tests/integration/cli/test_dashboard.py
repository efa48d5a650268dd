"""`trady dashboard` as a user runs it: a real process on a free port, asked over HTTP what
optuna-dashboard's UI asks (its JSON API), then stopped with SIGTERM as compose stops it."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import optuna
import pytest
import yaml

from services.cli.healthcheck import main as healthcheck
from services.trainer.main import upgrade_registry
from services.trainer.settings import TrainerSettings
from tests.conftest import REPO

STARTUP_S = 90  # importing optuna-dashboard takes ~10 s on a busy two-core machine
URL = re.compile(r"optuna-dashboard: (http://\S+)")


def make_study(storage: str, name: str, trials: int) -> None:
    """A small finished study with two parameters, as `trady tune` leaves one (plus a pruned
    trial, whose state the dashboard shows)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=name,
        storage=storage,
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=1),
    )
    study.set_user_attr("symbol", "BTCUSDT")

    def objective(trial: optuna.Trial) -> float:
        lr = trial.suggest_float("model.learning_rate", 0.02, 0.2, log=True)
        leaves = trial.suggest_int("model.num_leaves", 7, 63)
        if trial.number == 1:
            raise optuna.TrialPruned
        return -((lr - 0.05) ** 2) + leaves / 100

    study.optimize(objective, n_trials=trials)


def base_env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "TRADY_DATA_DIR": str(data_dir)}
    for name in ("DATABASE_URL", "TRADY_DATABASE_URL", "TRADY_TUNING_STORAGE_URL"):
        env.pop(name, None)
    return env


def trady(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=STARTUP_S,
    )  # fmt: skip


@contextmanager
def dashboard(env: dict[str, str], *args: str) -> Iterator[str]:
    """Start `trady dashboard ARGS` (on a free port unless ARGS name one), yield the URL it
    prints once it listens; on exit SIGTERM it and require a clean exit (status 0)."""
    port = [] if "--port" in args else ["--port", "0"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "dashboard", *args, *port],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    stdout = proc.stdout
    assert stdout is not None

    def read() -> None:  # a thread: readline() alone cannot time out
        for line in stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        try:
            first = lines.get(timeout=STARTUP_S)
        except queue.Empty:
            pytest.fail(f"trady dashboard printed no URL in {STARTUP_S} s")
        found = URL.search(first)
        assert found, first
        yield found.group(1)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        stderr = proc.stderr.read() if proc.stderr else ""
    assert code == 0, stderr
    assert "Traceback" not in stderr, stderr


def api(url: str, path: str) -> dict[str, Any]:
    root = url.split("/dashboard", 1)[0]
    response = httpx.get(root + path, timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_shows_a_studys_own_optuna_db(data_dir: Path) -> None:
    folder = data_dir / "models" / "BTCUSDT" / "fast"
    folder.mkdir(parents=True)
    make_study(f"sqlite:///{folder / 'optuna.db'}", "fast", trials=8)

    with dashboard(base_env(data_dir), "btcusdt", "--study", "fast") as url:
        [summary] = api(url, "/api/studies")["study_summaries"]
        assert summary["study_name"] == "fast"
        assert {"key": "symbol", "value": "BTCUSDT"} in summary["user_attrs"]
        study_id = summary["study_id"]
        assert url.endswith(f"/dashboard/studies/{study_id}")  # it opens on the study's page

        study = api(url, f"/api/studies/{study_id}")
        states = [t["state"] for t in study["trials"]]
        assert len(states) == 8 and states.count("Pruned") == 1
        names = {p["name"] for p in study["trials"][0]["params"]}
        assert names == {"model.learning_rate", "model.num_leaves"}
        [importances] = api(url, f"/api/studies/{study_id}/param_importances")["param_importances"]
        assert {i["name"] for i in importances} == names
        page = httpx.get(url, timeout=30)
        assert page.status_code == 200 and "<html" in page.text.lower()


def test_a_missing_study_fails_naming_the_path(data_dir: Path) -> None:
    (data_dir / "models" / "BTCUSDT" / "default").mkdir(parents=True)
    done = trady(base_env(data_dir), "dashboard", "BTCUSDT", "--study", "nope")
    assert done.returncode == 1
    assert done.stdout == ""  # no URL: nothing listens
    assert str(data_dir / "models" / "BTCUSDT" / "nope") in done.stderr
    assert "trady tune BTCUSDT --study nope" in done.stderr


def test_the_stacks_shared_store_on_postgresql(data_dir: Path, postgres_url: str) -> None:
    """The compose service's own command and healthcheck (on a free port) on real PostgreSQL:
    `migrate` readies TRADY_TUNING_STORAGE_URL, the dashboard starts on the empty store and
    shows the studies the workers add while it runs."""
    service = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    spec = service["optuna-dashboard"]
    args = spec["command"][spec["command"].index("dashboard") + 1 :]
    published = args[args.index("--port") + 1]
    args[args.index("--port") + 1] = "0"
    mode, check_url = spec["healthcheck"]["test"][-2:]
    upgrade_registry(TrainerSettings(data_dir=data_dir, tuning_storage_url=postgres_url))
    env = {**base_env(data_dir), "TRADY_TUNING_STORAGE_URL": postgres_url}

    with dashboard(env, *args) as url:
        assert url.endswith("/dashboard")  # no study named: the list of studies
        port = url.split(":")[2].split("/")[0]
        assert healthcheck([mode, check_url.replace(f":{published}/", f":{port}/")]) == 0
        assert api(url, "/api/studies")["study_summaries"] == []
        make_study(postgres_url, "btc-a", trials=3)
        make_study(postgres_url, "btc-b", trials=3)
        listed = api(url, "/api/studies")["study_summaries"]
        assert sorted(s["study_name"] for s in listed) == ["btc-a", "btc-b"]
