"""Closed live bars on Redis: the channel and the message (the contract with features)."""

from __future__ import annotations

import json
from typing import Any, Protocol

import polars as pl

from services.ingest.domain.bars import TICK_COUNT_COLUMNS

BARS_CLOSED_CHANNEL = "trady:bars:closed"
"""Each message is one closed bar as JSON: symbol, timeframe, open_time_ms, OHLCV, order flow
(null for bars imported from candles) and the four tick-direction counts."""


class Publisher(Protocol):
    def publish(self, channel: str, message: str) -> Any: ...


def bar_event(symbol: str, timeframe: str, bar: dict[str, Any]) -> dict[str, Any]:
    """The message for one stored bar row (as `DataFrame.row(named=True)` gives it)."""
    open_time = bar["open_time"]
    open_time_ms = open_time if isinstance(open_time, int) else _ms(open_time)
    event: dict[str, Any] = {"symbol": symbol, "timeframe": timeframe,
                             "open_time_ms": open_time_ms}  # fmt: skip
    for key in ("open", "high", "low", "close", "volume", "buy_volume", "sell_volume", "vwap"):
        event[key] = None if bar[key] is None else float(bar[key])
    for key in ("trade_count", *TICK_COUNT_COLUMNS):
        event[key] = None if bar[key] is None else int(bar[key])
    return event


def publish_bars(publisher: Publisher, symbol: str, timeframe: str, bars: pl.DataFrame) -> int:
    """Publish each row of `bars`, oldest first; returns how many."""
    for row in bars.sort("open_time").iter_rows(named=True):
        publisher.publish(BARS_CLOSED_CHANNEL, json.dumps(bar_event(symbol, timeframe, row)))
    return bars.height


def _ms(value: Any) -> int:
    return int(pl.Series([value]).dt.epoch("ms")[0])
