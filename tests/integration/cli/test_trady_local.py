"""`trady` without the stack: the whole pipeline in one process, driven as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl

from tests.conftest import REPO, SAMPLE

CANDLES = SAMPLE / "candles" / "binance_spot_BTCUSDT_1m_20250520-20250818.feather"
ROWS = 60_000  # ~42 days: the 4h EMA(200) needs 33 days of warm-up, then train + held-out


def trady(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_ingest_train_activate_predict_backtest(tmp_path: Path, redis_url: str) -> None:
    candles = tmp_path / "candles.parquet"
    pl.read_ipc(CANDLES).head(ROWS).write_parquet(candles)
    env = {**os.environ, "TRADY_DATA_DIR": str(tmp_path / "data"), "TRADY_REDIS_URL": redis_url}
    env.pop("DATABASE_URL", None)
    env.pop("TRADY_DATABASE_URL", None)

    [ingested] = trady(env, "ingest", str(candles), "--symbol", "btcusdt")
    assert ingested["bars_1m"] == ROWS
    model = trady(env, "train", "BTCUSDT")
    assert model["is_active"] is False
    assert [m["version"] for m in trady(env, "models")] == [model["version"]]

    refused = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "predict", "BTCUSDT"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 1
    assert "no active model for BTCUSDT" in refused.stderr

    activated = trady(env, "activate", model["version"])
    assert activated["model"]["is_active"] is True
    assert activated["previous_version"] is None
    prediction = trady(env, "predict", "BTCUSDT")
    assert prediction["model_version"] == model["version"]
    assert 0.0 <= prediction["probability"] <= 1.0

    report = trady(env, "backtest", "BTCUSDT")
    assert report["model_version"] == model["version"]
    saved = json.loads(Path(report["report_json_path"]).read_text())
    assert saved["summary"]["with_costs"]["trades"] == report["summary"]["trades"]
    assert Path(report["report_html_path"]).stat().st_size > 0


def test_ingest_with_a_declared_timestamp_unit(tmp_path: Path, redis_url: str) -> None:
    millis = tmp_path / "millis.csv"
    millis.write_text("timestamp,price,size,side\n1723161300000,1,1,Buy\n")
    env = {**os.environ, "TRADY_DATA_DIR": str(tmp_path / "data"), "TRADY_REDIS_URL": redis_url}
    refused = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "ingest", str(millis), "--symbol", "UNITUSDT",
         "--timestamp-unit", "s"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "millis.csv line 2, field 'timestamp'" in refused.stderr
    assert "seconds, the declared unit" in refused.stderr
    [ingested] = trady(env, "ingest", str(millis), "--symbol", "UNITUSDT", "--timestamp-unit", "ms")
    assert ingested["first_ms"] == 1723161300000


def test_tune_then_backtest_from_tuning_as_processes(tmp_path: Path, redis_url: str) -> None:
    """`trady tune` prints the study's JSON (progress on stderr); `trady backtest
    --from-tuning` of its best summary gives the summary's holdout figures."""
    from tests.integration.tuning.conftest import QUICK

    candles = tmp_path / "candles.parquet"
    pl.read_ipc(CANDLES).head(30_000).write_parquet(candles)
    config = tmp_path / "ml.yaml"
    config.write_text((REPO / "configs" / "ml.example.yaml").read_text() + QUICK)
    env = {**os.environ, "TRADY_DATA_DIR": str(tmp_path / "data"), "TRADY_REDIS_URL": redis_url}
    env.pop("DATABASE_URL", None)
    env.pop("TRADY_DATABASE_URL", None)
    trady(env, "ingest", str(candles), "--symbol", "BTCUSDT")
    study = trady(env, "tune", "BTCUSDT", "--trials", "2", "--config", str(config))
    assert study["study_dir"] == str(tmp_path / "data" / "models" / "BTCUSDT" / "default")
    assert study["summary"].endswith(f"tuning_summary_{study['best_trial']}.json")
    again = trady(env, "tune", "BTCUSDT", "--trials", "1", "--config", str(config))
    assert sum(again["trials"].values()) == 3  # resumed
    assert again["report_html"] == str(Path(again["study_dir"]) / "report.html")
    assert len(json.loads(Path(again["report_json"]).read_text())["history"]) == 3
    report = trady(env, "backtest", "--from-tuning", again["summary"])
    summary = json.loads(Path(again["summary"]).read_text())
    assert report["summary"] == summary["holdout"]["metrics"]
