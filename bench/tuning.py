"""The tuner's own time per trial against the raw LightGBM fits it runs, on the demo's data.

.venv/bin/python -m bench.tuning [--rows 131040] [--trials 8] [--rounds 400]

Data: the bundled 91 days of real BTCUSDT 1m candles (data/sample/candles), stored as bars of
every timeframe, features built once with configs/ml.example.yaml. Then one study of `--trials`
trials on one worker (embedded SQLite storage, the example config's tuning section, the model's
rounds set by --rounds). Per trial, from the study itself: its wall time (optuna's start and
completion stamps, so storage writes count) and the seconds inside LightGBM (Dataset
construction + boosting, measured around those calls). The tuner's overhead is
(trial wall - LightGBM) / LightGBM: labels, folds, calibration, predictions, the engine,
metrics and storage. Also printed: trials/hour for this one worker, and the candidates' time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import optuna
import polars as pl

from services.features.main import load_default_config
from services.features.service import FeatureService
from services.features.store import DatasetStore
from services.ingest.bar_store import BarStore
from services.ingest.domain.bars import BAR_SCHEMA
from services.ingest.domain.resample import TIMEFRAMES, resample
from services.research import study_files
from services.trainer.tuning.usecase import TuneRequest, tune

REPO = Path(__file__).resolve().parents[1]
CANDLES = REPO / "data/sample/candles/binance_spot_BTCUSDT_1m_20250520-20250818.feather"
CONFIG = REPO / "configs/ml.example.yaml"


def store_bars(root: Path, rows: int) -> None:
    candles = pl.read_ipc(CANDLES).head(rows)
    bars = candles.select(
        pl.col("date").cast(pl.Datetime("ms", "UTC")).alias("open_time"),
        *(pl.col(c).cast(pl.Float64) for c in ("open", "high", "low", "close", "volume")),
        *(pl.lit(None, BAR_SCHEMA[c]).alias(c) for c in ("buy_volume", "sell_volume")),
        pl.lit(None, pl.Int64).alias("trade_count"),
        pl.lit(None, pl.Float64).alias("vwap"),
    ).sort("open_time")
    store = BarStore(root)
    for timeframe in TIMEFRAMES:
        store.write("BTCUSDT", timeframe, resample(bars, timeframe))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=131_040)
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store_bars(root, args.rows)
        config = CONFIG.read_text().replace(
            "    model:\n      learning_rate:",
            f"    model:\n      num_boost_round: {args.rounds}\n      learning_rate:",
        )
        started = time.perf_counter()
        FeatureService(BarStore(root), DatasetStore(root), load_default_config(CONFIG)).build(
            "BTCUSDT", 0, 0, config
        )
        features_s = time.perf_counter() - started
        started = time.perf_counter()
        outcome = tune(
            TuneRequest("BTCUSDT", trials=args.trials, study="bench", config_yaml=config),
            datasets=DatasetStore(root),
            models_dir=root / "models",
            server_config_yaml=config,
            progress=lambda _f, _m: None,
        )
        total_s = time.perf_counter() - started
        storage = f"sqlite:///{Path(outcome.study_dir) / study_files.STUDY_DB}"
        trials = optuna.load_study(study_name="bench", storage=storage).get_trials()
        walls, fits = [], []
        for trial in trials:
            if trial.datetime_start and trial.datetime_complete:
                walls.append((trial.datetime_complete - trial.datetime_start).total_seconds())
                fits.append(float(trial.user_attrs.get("lightgbm_seconds", 0.0)))
        wall, fit = sum(walls), sum(fits)
        complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
        print(f"rows {args.rows:,}, trials {len(trials)} ({len(complete)} complete)")
        print(f"features once: {features_s:.1f} s; study: {total_s:.1f} s")
        timed = [(w, f) for w, f in zip(walls, fits, strict=True) if f > 0]
        if timed:
            w_sum = sum(w for w, _ in timed)
            f_sum = sum(f for _, f in timed)
            print(f"trials: median wall {statistics.median(w for w, _ in timed):.2f} s, "
                  f"LightGBM {f_sum:.2f} s of {w_sum:.2f} s; tuner overhead "
                  f"{(w_sum - f_sum) / f_sum:.1%} over the raw fits")  # fmt: skip
        print(f"all trials: {wall:.1f} s wall, {fit:.1f} s in LightGBM")
        print(f"trials/hour, 1 worker: {3600 * len(trials) / max(wall, 1e-9):.0f}")
        print(f"candidates (re-fit + holdout): {total_s - wall:.1f} s")


if __name__ == "__main__":
    main()
