"""Freshly built or imported 1m bars -> the bar store, with every higher timeframe's bars
that contain them recomputed; only the months they fall in are read and written."""

from __future__ import annotations

import polars as pl

from services.ingest.bar_store import BarStore, month_keys
from services.ingest.domain.bars import merge_trade_bars
from services.ingest.domain.resample import TIMEFRAMES, resample_touched


def store_trade_bars(bars: BarStore, symbol: str, rebuilt: pl.DataFrame) -> int:
    """Put 1m bars rebuilt from trades into the store (they replace what it held for those
    minutes), then the higher bars containing them; returns the symbol's 1m bar count.
    The caller holds the symbol's lock."""
    months = month_keys(rebuilt["open_time"])
    bars_1m = merge_trade_bars(bars.load_months(symbol, "1m", months), rebuilt)
    store_timeframes(bars, symbol, months, bars_1m, rebuilt["open_time"])
    return bars.count(symbol, "1m")


def store_timeframes(
    bars: BarStore, symbol: str, months: list[str], bars_1m: pl.DataFrame, touched: pl.Series
) -> None:
    """Write the 1m bars of `months` (all of them, merged) and every higher timeframe's
    bars there, each month file only if it changed (an idempotent re-ingest leaves every
    file untouched). `touched` holds the open times of the 1m bars that were rebuilt or
    merged: only the higher bars containing them are recomputed, so appending a day costs
    a day, and the files rewritten are a month's, not the symbol's history. The caller
    holds the symbol's lock."""
    for timeframe in TIMEFRAMES:
        stored = bars.load_months(symbol, timeframe, months)
        frame = (
            bars_1m if timeframe == "1m" else resample_touched(bars_1m, stored, timeframe, touched)
        )
        if not frame.equals(stored, null_equal=True):
            bars.write_months(symbol, timeframe, frame, months)
