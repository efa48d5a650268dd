"""Trades -> their UTC days, the unit in which trades are stored."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

DAY_US = 86_400_000_000
_DAY = "_day"


def utc_days(trades: pl.DataFrame) -> list[tuple[date, pl.DataFrame]]:
    """The trades of each UTC day, days ascending, rows in their order within `trades`.

    Trades sorted by time (what parsing returns) are cut at day boundaries found by binary
    search: the parts are views of `trades`, with no copy and no per-row day column (which
    cost ~0.4 s per 5 M trades). Unsorted trades are partitioned by a computed day.
    """
    if trades.height == 0:
        return []
    stamps = trades["timestamp"].dt.cast_time_unit("us").to_physical()
    if not stamps.is_sorted():
        by_day = trades.with_columns(pl.col("timestamp").dt.date().alias(_DAY)).partition_by(
            _DAY, maintain_order=True, include_key=False, as_dict=True
        )
        return sorted(((key[0], part) for key, part in by_day.items()), key=lambda kv: kv[0])
    first: int = stamps[0] // DAY_US
    last: int = stamps[-1] // DAY_US
    bounds = pl.Series([day * DAY_US for day in range(first + 1, last + 1)], dtype=pl.Int64)
    cuts = [0, *stamps.search_sorted(bounds, side="left").to_list(), trades.height]
    parts = []
    for offset, day in enumerate(range(first, last + 1)):
        start, stop = cuts[offset], cuts[offset + 1]
        if stop > start:  # a day inside the span may have no trades
            parts.append((_date_of(day), trades.slice(start, stop - start)))
    return parts


def _date_of(day: int) -> date:
    return datetime.fromtimestamp(day * 86_400, UTC).date()
