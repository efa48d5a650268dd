"""The indicator set on each timeframe's own bars, attached to 1m rows without look-ahead.

A 1m row stands for what is known when its bar closes, at ``open_time + 1m``. A bar of
timeframe L opened at T is complete only at ``T + L``, so it may feed a 1m row only when
``open_time + 1m >= T + L``: each row gets the newest bar of that timeframe that had closed by
then (a backward as-of match of the row's close time on the bars' close times, asof.py).
There is no staleness limit: after a gap in trading the newest closed bar may be old, but it is
still the truth as known at that moment.

Feature names follow ``{indicator}_{params}_{timeframe}`` (docs/features.md is generated from
`feature_names`); order flow and time of day are properties of the 1m row itself
(row_features.py). The 1m indicators are computed on the rows directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

import numpy as np
import polars as pl

from services.features.domain.asof import closed_bar_positions
from services.features.domain.config import TIMEFRAME_MINUTES, FeaturesConfig
from services.features.domain.indicator_matrix import (
    bar_array_exprs,
    bar_arrays,
    indicator_names,
    timeframe_matrix,
)
from services.features.domain.parallel import run_all
from services.features.domain.row_features import MINUTE_MS, TICKS, row_feature_names
from services.ingest.domain.bars import BAR_SCHEMA, PRICE_COLUMNS

TIME = "open_time"
TIME_DTYPE = pl.Datetime("ms", "UTC")
OPTIONAL_COLUMNS: dict[str, pl.DataType] = {
    name: dtype for name, dtype in BAR_SCHEMA.items() if name not in ("open_time", *PRICE_COLUMNS)
}
"""Order-flow bar columns (ingest's bar schema): null for candle imports, absent in old files."""

__all__ = ["OPTIONAL_COLUMNS", "TICKS", "TIME", "TIME_DTYPE", "feature_names", "join_timeframes"]


def feature_names(config: FeaturesConfig) -> list[str]:
    """All feature column names: timeframe by timeframe in canonical order, then the row's."""
    names = [name for tf in config.timeframes for name in indicator_names(config, tf)]
    return names + row_feature_names(config)


def with_optional_columns(bars: pl.LazyFrame) -> pl.LazyFrame:
    """Add the order-flow columns a bar frame lacks, as nulls (older or candle-built bars)."""
    present = set(bars.collect_schema().names())
    missing = [
        pl.lit(None, dtype).alias(n) for n, dtype in OPTIONAL_COLUMNS.items() if n not in present
    ]
    return bars.with_columns(missing) if missing else bars


def _kernel_inputs(bars: pl.LazyFrame) -> pl.LazyFrame:
    """open_time and the kernels' float64 inputs."""
    return with_optional_columns(bars).select(pl.col(TIME).cast(TIME_DTYPE), *bar_array_exprs())


def _epoch_ms(frame: pl.DataFrame) -> np.ndarray:
    return frame.get_column(TIME).dt.epoch("ms").to_numpy()


def indicator_columns(
    rows: pl.DataFrame, per_timeframe: Mapping[str, pl.LazyFrame], *, config: FeaturesConfig
) -> pl.DataFrame:
    """Every configured timeframe's indicator columns for the 1m `rows`, nulls where unknown.

    Each timeframe's indicators are computed on its own bars (all timeframes' kernels at once,
    parallel.run_all); a higher timeframe's columns are then gathered onto the rows at the
    positions of `closed_bar_positions`.

    Args:
        rows: the 1m bars, sorted by `open_time`; the 1m indicators are computed on them.
        per_timeframe: bars of each configured timeframe above 1m (same bar schema, any order).
    Returns:
        One row per row of `rows`, the columns of `feature_names` without the row features.
    Raises:
        ValueError: a configured timeframe has no bars frame.
    """
    higher: list[str] = [tf for tf in config.timeframes if tf != "1m"]
    missing = [tf for tf in higher if tf not in per_timeframe]
    if missing:
        raise ValueError(f"no bars given for timeframe(s) {missing}")
    inputs = pl.collect_all([_kernel_inputs(per_timeframe[tf]).sort(TIME) for tf in higher])
    bars: dict[str, pl.DataFrame] = dict(zip(higher, inputs, strict=True))
    if "1m" in config.timeframes:
        bars["1m"] = _kernel_inputs(rows.lazy()).collect()
    row_close = _epoch_ms(rows) + MINUTE_MS
    tasks: list[Callable[[], None]] = []
    matrices: dict[str, np.ndarray] = {}
    positions: dict[str, np.ndarray] = {}
    for tf in config.timeframes:
        matrix, fill = timeframe_matrix(config, tf, bar_arrays(bars[tf]), extra_bar=tf != "1m")
        tasks += fill
        matrices[tf] = matrix
        if tf != "1m":
            bar_close = _epoch_ms(bars[tf]) + TIMEFRAME_MINUTES[tf] * MINUTE_MS
            tasks.append(partial(_store_positions, positions, tf, row_close, bar_close))
    run_all(tasks)
    parts = []
    for timeframe, matrix in matrices.items():
        names = indicator_names(config, timeframe)
        if not names:
            continue  # no indicators configured: a frame without rows could not be gathered
        frame = pl.DataFrame([pl.Series(n, matrix[i]) for i, n in enumerate(names)])
        # NaN marks unknown values inside the kernels; as columns they are null. Done on the
        # timeframe's bars, before the gather, so a 4h column is scanned 4.4k times, not 1M.
        frame = frame.select(pl.all().fill_nan(None))
        if timeframe != "1m":
            frame = frame[pl.Series(positions[timeframe])]
        parts.append(frame)
    return pl.concat(parts, how="horizontal") if parts else pl.DataFrame()


def _store_positions(
    positions: dict[str, np.ndarray], tf: str, row_close: np.ndarray, bar_close: np.ndarray
) -> None:
    positions[tf] = closed_bar_positions(row_close, bar_close)


def join_timeframes(
    base: pl.LazyFrame, per_timeframe: Mapping[str, pl.LazyFrame], *, config: FeaturesConfig
) -> pl.LazyFrame:
    """The columns of `base` followed by every timeframe's indicator columns.

    Computed when called (the kernels need the arrays); returned lazy for further composing.

    Args:
        base: the 1m bars, sorted by `open_time`; the 1m features are computed on them.
        per_timeframe: bars of each configured timeframe above 1m (same bar schema, any order).
    Raises:
        ValueError: a configured timeframe has no bars frame.
    """
    rows = base.with_columns(pl.col(TIME).cast(TIME_DTYPE)).collect()
    columns = indicator_columns(rows, per_timeframe, config=config)
    return pl.concat([rows, columns], how="horizontal").lazy()
