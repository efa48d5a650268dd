"""Small builders for ingest unit tests: trade frames and CSV bytes from plain tuples."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import polars as pl

from services.ingest.domain.trades import TRADE_SCHEMA

T0 = datetime(2024, 1, 1, tzinfo=UTC)
T0_S = int(T0.timestamp())  # 1704067200
T0_US = T0_S * 1_000_000

Trade = tuple[int, float, float, str]  # (microseconds after T0, price, size, side)
TickedTrade = tuple[int, float, float, str, str | None]  # ... and tick direction


def trades_frame(rows: Sequence[Trade] | Sequence[TickedTrade]) -> pl.DataFrame:
    """Trades in the stored schema, in the given order, without ids (tick direction from
    a fifth element, else none)."""
    return (
        pl.DataFrame(
            {
                "timestamp": [T0_US + r[0] for r in rows],
                "price": [r[1] for r in rows],
                "size": [r[2] for r in rows],
                "side": [r[3] for r in rows],
                "tick_direction": [r[4] if len(r) > 4 else None for r in rows],  # type: ignore[misc]
                "trade_id": [None] * len(rows),
                "occurrence": [0] * len(rows),
            },
            schema_overrides={
                "timestamp": pl.Int64,
                "tick_direction": pl.String,
                "trade_id": pl.String,
            },
        )
        .with_columns(pl.col("timestamp").cast(pl.Datetime("us", "UTC")))
        .cast(TRADE_SCHEMA)
    )


def csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def ms(minutes: float) -> int:
    """Unix ms of T0 + `minutes`."""
    return T0_S * 1000 + int(minutes * 60_000)
