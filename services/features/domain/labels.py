"""The forward-return label, defined by time rather than by row offsets.

Row t's label looks at the 1m bar that opens exactly ``horizon_steps`` minutes later. Counting
rows instead would silently look further ahead across a gap (a minute without trades has no
bar), so when that bar does not exist, at the end of the data or in a gap, the label is null.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from services.features.domain.config import LabelConfig

LABEL = "label"
LABEL_DTYPE = pl.Int8
_FUTURE_CLOSE = "_future_close"


def forward_return_label(
    rows: pl.LazyFrame,
    *,
    horizon_steps: int,
    return_threshold: float,
    name: str = LABEL,
    time: str = "open_time",
    close: str = "close",
) -> pl.LazyFrame:
    """Add `name`: 1 if close[t + horizon] >= close[t] * (1 + threshold), 0 if not, null if
    the bar at t + horizon minutes does not exist. `rows` are unique 1m bars by `time`."""
    if horizon_steps <= 0:
        raise ValueError(f"horizon_steps must be positive, got {horizon_steps}")
    future = rows.select(
        (pl.col(time) - pl.duration(minutes=horizon_steps)).alias(time),
        pl.col(close).alias(_FUTURE_CLOSE),
    )
    target = pl.col(close) * (1.0 + return_threshold)
    return (
        rows.join(future, on=time, how="left", validate="1:1", maintain_order="left")
        .with_columns(
            pl.when(pl.col(_FUTURE_CLOSE).is_null())
            .then(None)
            .otherwise(pl.col(_FUTURE_CLOSE) >= target)
            .cast(LABEL_DTYPE)
            .alias(name)
        )
        .drop(_FUTURE_CLOSE)
    )


def label_definition(config: LabelConfig) -> dict[str, Any]:
    """The label's definition as stored in dataset.json and in model sidecars."""
    return {
        "kind": config.kind,
        "horizon_steps": config.horizon_steps,
        "return_threshold": config.return_threshold,
    }
