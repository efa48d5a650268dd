"""Labels and their stored definitions.

The forward-return label is defined by time rather than by row offsets. Row t's label looks at
the 1m bar that opens exactly ``horizon_steps`` minutes later. Counting rows instead would
silently look further ahead across a gap (a minute without trades has no bar), so when that bar
does not exist, at the end of the data or in a gap, the label is null. The EMA-touch pullback
label lives in domain/pullback.py.

Every definition carries `horizon_steps`: how many minutes after a row's open time the last
1m bar its label reads opens, so the trainer can purge and embargo by it.
"""

from __future__ import annotations

from typing import Any, Literal

import polars as pl

from services.features.domain.config import ForwardReturnLabel, PullbackLabel

LABEL = "label"
LABEL_R = "label_r"
LABEL_BARS = "label_bars"
LABEL_EVENT = "label_event"
"""Pullback datasets: True on every event row (resolved or not), so a backtest signals on
events only; False elsewhere."""
LABEL_DTYPE = pl.Int8
_FUTURE_CLOSE = "_future_close"


def forward_return_label(
    rows: pl.LazyFrame,
    *,
    horizon_steps: int,
    return_threshold: float,
    side: Literal["long", "short"] = "long",
    name: str = LABEL,
    time: str = "open_time",
    close: str = "close",
) -> pl.LazyFrame:
    """Add `name`. Long: 1 if close[t + horizon] >= close[t] * (1 + threshold); short (the
    mirror): 1 if close[t + horizon] <= close[t] * (1 - threshold); else 0; null if the bar at
    t + horizon minutes does not exist. `rows` are unique 1m bars by `time`."""
    if horizon_steps <= 0:
        raise ValueError(f"horizon_steps must be positive, got {horizon_steps}")
    future = rows.select(
        (pl.col(time) - pl.duration(minutes=horizon_steps)).alias(time),
        pl.col(close).alias(_FUTURE_CLOSE),
    )
    if side == "long":
        hit = pl.col(_FUTURE_CLOSE) >= pl.col(close) * (1.0 + return_threshold)
    else:
        hit = pl.col(_FUTURE_CLOSE) <= pl.col(close) * (1.0 - return_threshold)
    return (
        rows.join(future, on=time, how="left", validate="1:1", maintain_order="left")
        .with_columns(
            pl.when(pl.col(_FUTURE_CLOSE).is_null())
            .then(None)
            .otherwise(hit)
            .cast(LABEL_DTYPE)
            .alias(name)
        )
        .drop(_FUTURE_CLOSE)
    )


def label_columns(config: ForwardReturnLabel | PullbackLabel) -> list[str]:
    """The dataset columns a label writes: the label, then (pullback) R multiple, bars and
    the event flag."""
    if isinstance(config, PullbackLabel):
        return [LABEL, LABEL_R, LABEL_BARS, LABEL_EVENT]
    return [LABEL]


def label_definition(config: ForwardReturnLabel | PullbackLabel) -> dict[str, Any]:
    """The label's definition as stored in dataset.json and in model sidecars; always has
    `kind`, `side` and `horizon_steps` (minutes from a row's open time to the last 1m bar
    its label reads)."""
    definition = config.model_dump(mode="json")
    definition["horizon_steps"] = config.horizon_minutes
    definition["columns"] = label_columns(config)
    return definition
