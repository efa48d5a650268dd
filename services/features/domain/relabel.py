"""A label recomputed from a dataset's own 1m rows: what tuning does for every label a trial
samples, and what a backtest of a tuned model does to find its label's events.

The stored bars of every timeframe are the 1m bars aggregated into UTC-aligned periods
(ingest's resample: open first, high max, low min, close last), so aggregating the dataset's 1m
rows the same way gives the bars `assemble_dataset` labels from, and the same label (a test
holds them equal). Only prices are read; features are untouched, so a study computes its
features once and relabels cheaply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
from pydantic import ValidationError

from services.common.errors import InvalidInput
from services.features.domain.config import ForwardReturnLabel, PullbackLabel
from services.features.domain.labels import LABEL_EVENT, forward_return_label, label_columns
from services.features.domain.pullback import pullback_label

TIME = "open_time"
OHLC = ("open", "high", "low", "close")
DATASET_LABEL_COLUMNS = ("label", "label_r", "label_bars", "label_event")
"""Every label column a dataset may hold (labels.label_columns of any label kind)."""


def aggregate(one_minute: pl.DataFrame, timeframe: str) -> pl.DataFrame:
    """UTC-aligned `timeframe` bars (open_time, OHLC) of sorted 1m rows."""
    prices = one_minute.select(TIME, *OHLC)
    if timeframe == "1m":
        return prices
    return (
        prices.rechunk()
        .sort(TIME, maintain_order=True)
        .group_by(pl.col(TIME).dt.truncate(timeframe))
        .agg(
            pl.col("open").first(),
            pl.col("high").max(),
            pl.col("low").min(),
            pl.col("close").last(),
        )
        .sort(TIME)
    )


def label_frame(
    one_minute: pl.DataFrame, label: ForwardReturnLabel | PullbackLabel
) -> pl.DataFrame:
    """open_time and the label's columns (labels.label_columns), one row per 1m row, in order.

    Args:
        one_minute: 1m rows sorted by open_time (unique), with open/high/low/close.
    """
    rows = one_minute.select(TIME, *(pl.col(c).cast(pl.Float64) for c in OHLC))
    if isinstance(label, PullbackLabel):
        outcomes = pullback_label(
            rows, aggregate(rows, label.timeframe), aggregate(rows, label.trend_timeframe), label
        )
        labelled = rows.join(outcomes, on=TIME, how="left", maintain_order="left").with_columns(
            pl.col(LABEL_EVENT).fill_null(False)
        )
    else:
        labelled = forward_return_label(
            rows.lazy(),
            horizon_steps=label.horizon_steps,
            return_threshold=label.return_threshold,
            side=label.side,
        ).collect()
    return labelled.select(TIME, *label_columns(label))


def relabelled(rows: pl.DataFrame, label: ForwardReturnLabel | PullbackLabel) -> pl.DataFrame:
    """Sorted dataset rows with `label`'s columns in place of their own label columns."""
    computed = label_frame(rows, label)
    kept = [c for c in rows.columns if c not in DATASET_LABEL_COLUMNS]
    return pl.concat([rows.select(kept), computed.drop(TIME)], how="horizontal")


def label_from_definition(definition: Mapping[str, Any]) -> ForwardReturnLabel | PullbackLabel:
    """The label config back from its stored definition (labels.label_definition).

    Raises InvalidInput when the definition is not one of ours.
    """
    keys = {k: v for k, v in definition.items() if k != "columns"}
    try:
        if keys.get("kind") == "ema_pullback":
            keys.pop("horizon_steps", None)  # derived from horizon_bars and the timeframe
            return PullbackLabel.model_validate(keys)
        return ForwardReturnLabel.model_validate(keys)
    except ValidationError as exc:
        raise InvalidInput(
            f"the stored label definition {dict(definition)} is invalid: {exc}"
        ) from exc
