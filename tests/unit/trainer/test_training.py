"""The training template on a synthetic dataset whose label a feature partly predicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl
import pytest

from services.common.errors import InvalidInput
from services.trainer.domain.config import parse_config
from services.trainer.domain.training import train_model

START_MS = int(datetime(2025, 5, 20, tzinfo=UTC).timestamp() * 1000)
CONFIG = parse_config(
    """
training:
  test_fraction: 0.2
  valid_fraction: 0.1
  num_boost_round: 60
  early_stopping_rounds: 10
  params: {objective: binary, num_leaves: 7, min_data_in_leaf: 20, seed: 1, num_threads: 1,
           verbose: -1}
backtest: {threshold: 0.5}
"""
)


@dataclass(frozen=True)
class Meta:
    feature_names: list[str] = field(default_factory=lambda: ["signal", "noise"])
    label_name: str = "label"
    label: dict[str, Any] = field(default_factory=lambda: {"horizon_steps": 15})


def dataset(rows: int = 3000, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=rows)
    label = (signal + 0.7 * rng.normal(size=rows) > 0).astype(np.int8)
    frame = pl.DataFrame(
        {
            "open_time": (START_MS + np.arange(rows, dtype=np.int64) * 60_000),
            "close": 100.0 + np.cumsum(rng.normal(size=rows)),
            "signal": signal,
            "noise": rng.normal(size=rows),
            "label": label,
        }
    ).with_columns(pl.col("open_time").cast(pl.Datetime("ms", "UTC")))
    # The last 15 rows have no label (their horizon runs past the data), like real datasets.
    return frame.with_columns(
        pl.when(pl.int_range(pl.len()) < rows - 15).then(pl.col("label")).alias("label")
    )


def test_trains_on_the_past_and_scores_the_held_out_future() -> None:
    fractions: list[float] = []
    outcome = train_model(dataset(), Meta(), CONFIG, lambda f, _m: fractions.append(f))
    m = outcome.metrics
    assert m["auc"] > 0.8  # the signal is strong
    assert m["log_loss"] < m["baseline_log_loss"]
    assert m["test_rows"] == round(2985 * 0.2) and m["purged_rows"] >= 30
    assert m["train_rows"] + m["valid_rows"] + m["test_rows"] + m["purged_rows"] == 2985
    # test range: after training (by more than the horizon), ending with the last labelled row
    assert outcome.test_start_ms - outcome.train_end_ms >= 15 * 60_000
    assert outcome.test_end_ms == START_MS + 2985 * 60_000
    assert (outcome.data_start_ms, outcome.data_end_ms) == (START_MS, START_MS + 3000 * 60_000)
    assert outcome.model_text.startswith("tree")
    assert 1 <= outcome.params["best_iteration"] <= 60
    assert outcome.feature_importance["signal"] > outcome.feature_importance["noise"]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_is_deterministic_for_a_seeded_config() -> None:
    assert train_model(dataset(), Meta(), CONFIG).model_text == (
        train_model(dataset(), Meta(), CONFIG).model_text
    )


def test_missing_columns_are_named() -> None:
    with pytest.raises(InvalidInput, match="noise"):
        train_model(dataset().drop("noise"), Meta(), CONFIG)


def test_a_single_class_test_period_cannot_be_evaluated() -> None:
    frame = dataset().with_columns(
        pl.when(pl.col("label").is_not_null()).then(pl.lit(0, pl.Int8)).alias("label")
    )
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) < 200)
        .then(pl.lit(1, pl.Int8))
        .otherwise("label")
        .alias("label")
    )
    with pytest.raises(InvalidInput, match="one label class"):
        train_model(frame, Meta(), CONFIG)


def test_too_short_datasets_are_refused() -> None:
    with pytest.raises(InvalidInput, match="too few"):
        train_model(dataset(rows=200), Meta(), CONFIG)


def test_params_lightgbm_refuses_are_invalid_input() -> None:
    bad = parse_config("training: {params: {objective: binary, num_leaves: -3}}")
    with pytest.raises(InvalidInput, match="num_leaves"):
        train_model(dataset(), Meta(), bad)
