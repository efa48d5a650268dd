"""Small frame builders for the features unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def minutes(*offsets: int) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in offsets]


def bars(offsets: list[int], close: list[float], volume: list[float] | None = None) -> pl.DataFrame:
    """Bars at T0 + offset minutes; open/high/low derived from close so they are valid."""
    return pl.DataFrame(
        {
            "open_time": minutes(*offsets),
            "open": close,
            "high": [c + 1.0 for c in close],
            "low": [c - 1.0 for c in close],
            "close": close,
            "volume": volume if volume is not None else [1.0] * len(close),
        },
        schema_overrides={"open_time": pl.Datetime("ms", "UTC")},
    )
