"""Small builders shared by the backtester unit tests."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

MINUTE_MS = 60_000
TIME = pl.Datetime("ms", "UTC")


def bars(opens: Sequence[float], closes: Sequence[float], step_ms: int = MINUTE_MS) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "open_time": pl.Series([i * step_ms for i in range(len(opens))]).cast(TIME),
            "open": [float(x) for x in opens],
            "close": [float(x) for x in closes],
        }
    )
