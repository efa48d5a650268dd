"""The training template: dataset frame in, LightGBM text model and honest metrics out.

It drops unlabelled rows, splits by time with purging (`split.py`), fits with early stopping
on the validation part only, and scores the untouched test part once. Only `_fit` knows about
LightGBM; the rest is the shared procedure. Pure: no files, no network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import lightgbm
import numpy as np
import polars as pl

from services.common.errors import InvalidInput
from services.trainer.domain import metrics
from services.trainer.domain.config import TrainerConfig
from services.trainer.domain.split import MINUTE_MS, Split, time_split

TIME_COLUMN = "open_time"
PROGRESS_EVERY = 20
"""Report boosting progress this many times over the run (at most)."""

Progress = Callable[[float, str], None]
"""`progress(fraction 0..1, message)`; called from the training thread."""


class DatasetDescription(Protocol):
    """What the template needs to know about a dataset (features' DatasetMeta fits)."""

    @property
    def feature_names(self) -> list[str]: ...
    @property
    def label_name(self) -> str: ...
    @property
    def label(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class TrainingOutcome:
    model_text: str
    metrics: dict[str, float]
    params: dict[str, Any]
    """The effective LightGBM params, with num_boost_round and best_iteration."""
    feature_importance: dict[str, float]
    data_start_ms: int
    data_end_ms: int
    train_end_ms: int
    test_start_ms: int
    test_end_ms: int


def _quiet(_fraction: float, _message: str) -> None:
    return None


def train_model(
    frame: pl.DataFrame,
    meta: DatasetDescription,
    config: TrainerConfig,
    progress: Progress | None = None,
) -> TrainingOutcome:
    """Train and evaluate one model. Ranges are half-open Unix ms; `test_*` is the held-out
    period an honest backtest should use. Raises InvalidInput for missing columns, non-0/1
    labels, a too-short dataset or a test period with a single label class."""
    report = progress or _quiet
    features = list(meta.feature_names)
    label = meta.label_name
    horizon = int(meta.label.get("horizon_steps", 0))
    missing = [c for c in (TIME_COLUMN, *features, label) if c not in frame.columns]
    if missing:
        raise InvalidInput(f"dataset lacks columns {', '.join(missing)}; rebuild the features")
    if not features:
        raise InvalidInput("dataset has no feature columns")
    times_all = _epoch_ms(frame.get_column(TIME_COLUMN))
    labelled = frame.filter(
        pl.col(label).is_not_null() & pl.col(label).cast(pl.Float64).is_not_nan()
    ).sort(TIME_COLUMN)
    times = _epoch_ms(labelled.get_column(TIME_COLUMN))
    x = labelled.select(features).cast(pl.Float64).to_numpy()
    y = labelled.get_column(label).cast(pl.Float64).to_numpy()
    training = config.training
    split = time_split(
        times,
        horizon_steps=horizon,
        test_fraction=training.test_fraction,
        valid_fraction=training.valid_fraction,
        gap_steps=training.gap_steps,
    )
    report(0.05, f"split {len(split.train)}/{len(split.valid)}/{len(split.test)} rows")
    booster, params = _fit(x, y, split, features, config, report)
    best = int(params["best_iteration"])
    if list(booster.feature_name()) != features:
        raise InvalidInput(
            "LightGBM renamed some feature columns (names must avoid spaces and JSON "
            "special characters); fix the feature names"
        )
    scores = _score(booster, best, x, y, split, config.threshold)
    importance = booster.feature_importance(importance_type="gain", iteration=best)
    report(1.0, f"trained {best} rounds, test AUC {scores['auc']:.4f}")
    return TrainingOutcome(
        model_text=booster.model_to_string(num_iteration=best),
        metrics=scores,
        params=params,
        feature_importance={f: float(v) for f, v in zip(features, importance, strict=True)},
        data_start_ms=int(times_all.min()),
        data_end_ms=int(times_all.max()) + MINUTE_MS,
        train_end_ms=int(times[split.train.stop - 1]) + MINUTE_MS,
        test_start_ms=int(times[split.test.start]),
        test_end_ms=int(times[split.test.stop - 1]) + MINUTE_MS,
    )


def _epoch_ms(column: pl.Series) -> np.ndarray:
    if not isinstance(column.dtype, pl.Datetime):
        raise InvalidInput(f"column {TIME_COLUMN} must be a datetime, not {column.dtype}")
    return column.dt.epoch("ms").to_numpy().astype(np.int64)


def _fit(
    x: np.ndarray,
    y: np.ndarray,
    split: Split,
    features: list[str],
    config: TrainerConfig,
    report: Progress,
) -> tuple[lightgbm.Booster, dict[str, Any]]:
    training = config.training
    params: dict[str, Any] = {"objective": "binary", "verbose": -1, **training.params}
    params.setdefault("metric", "binary_logloss")
    train_part = slice(split.train.start, split.train.stop)
    valid_part = slice(split.valid.start, split.valid.stop)
    train_set = lightgbm.Dataset(x[train_part], label=y[train_part], feature_name=features)
    valid_set = lightgbm.Dataset(x[valid_part], label=y[valid_part], reference=train_set)
    rounds = training.num_boost_round
    every = max(1, rounds // PROGRESS_EVERY)

    def on_iteration(env: lightgbm.callback.CallbackEnv) -> None:
        done = env.iteration + 1
        if done % every == 0:
            report(0.05 + 0.9 * done / rounds, f"boosting round {done}/{rounds}")

    try:
        booster = lightgbm.train(
            params,
            train_set,
            num_boost_round=rounds,
            valid_sets=[valid_set],
            valid_names=["valid"],
            callbacks=[
                lightgbm.early_stopping(
                    training.early_stopping_rounds, first_metric_only=True, verbose=False
                ),
                on_iteration,
            ],
        )
    except lightgbm.basic.LightGBMError as exc:
        # Params come from the user's config; LightGBM's message names the bad one.
        raise InvalidInput(f"LightGBM refused the training params or data: {exc}") from exc
    best = int(booster.best_iteration) or int(booster.current_iteration())
    return booster, {**params, "num_boost_round": rounds, "best_iteration": best}


def _score(
    booster: lightgbm.Booster,
    best: int,
    x: np.ndarray,
    y: np.ndarray,
    split: Split,
    threshold: float,
) -> dict[str, float]:
    valid_part = slice(split.valid.start, split.valid.stop)
    test_part = slice(split.test.start, split.test.stop)
    y_test = y[test_part]
    if np.unique(y_test).size < 2:
        raise InvalidInput(
            "the test period holds only one label class, so the model cannot be evaluated; "
            "use a longer range or a different label threshold"
        )
    p_test = np.asarray(booster.predict(x[test_part], num_iteration=best), dtype=np.float64)
    p_valid = np.asarray(booster.predict(x[valid_part], num_iteration=best), dtype=np.float64)
    # Predicting the training base rate everywhere: the log loss any model must beat.
    base_rate = float(np.mean(y[split.train.start : split.train.stop]))
    scores = metrics.evaluate(y_test, p_test, threshold)
    scores["baseline_log_loss"] = metrics.log_loss(y_test, np.full(y_test.size, base_rate))
    scores["valid_log_loss"] = metrics.log_loss(y[valid_part], p_valid)
    if np.unique(y[valid_part]).size == 2:
        scores["valid_auc"] = metrics.auc(y[valid_part], p_valid)
    scores.update(
        threshold=float(threshold),
        best_iteration=float(best),
        train_rows=float(len(split.train)),
        valid_rows=float(len(split.valid)),
        test_rows=float(len(split.test)),
        purged_rows=float(split.purged_rows),
    )
    return scores
