"""Resampling 1m bars equals aggregating the trades directly, and the order-flow null rule."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.ingest.domain.bars import BAR_SCHEMA, bars_from_trades, conform_bars, merge_trade_bars
from services.ingest.domain.resample import TIMEFRAME_MS, TIMEFRAMES, resample, resample_touched
from tests.unit.ingest.factories import T0_US, TickedTrade, ms, trades_frame

TICKS = ("PlusTick", "ZeroPlusTick", "MinusTick", "ZeroMinusTick")
TICK_COLUMNS = ("plus_tick_count", "zero_plus_tick_count", "minus_tick_count",
                "zero_minus_tick_count")  # fmt: skip

MINUTE_US = 60_000_000


def reference_bars(trades: list[TickedTrade], timeframe: str) -> list[dict[str, Any]]:
    """Plain-Python aggregation of trades (sorted by time, ties in list order) into bars."""
    period_us = TIMEFRAME_MS[timeframe] * 1000
    groups: dict[int, list[TickedTrade]] = defaultdict(list)
    for trade in sorted(trades, key=lambda t: t[0]):  # sorted() is stable
        groups[(T0_US + trade[0]) // period_us * period_us].append(trade)
    bars = []
    for start, group in sorted(groups.items()):
        prices = [t[1] for t in group]
        volume = sum(t[2] for t in group)
        bars.append(
            {
                "open_time": start // 1000,
                "open": prices[0],
                "high": max(prices),
                "low": min(prices),
                "close": prices[-1],
                "volume": volume,
                "buy_volume": sum(t[2] for t in group if t[3] == "Buy"),
                "sell_volume": sum(t[2] for t in group if t[3] == "Sell"),
                "trade_count": len(group),
                "vwap": sum(t[1] * t[2] for t in group) / volume,
                **{
                    col: sum(t[4] == tick for t in group)
                    for tick, col in zip(TICKS, TICK_COLUMNS, strict=True)
                },
            }
        )
    return bars


def as_dicts(bars: pl.DataFrame) -> list[dict[str, Any]]:
    return bars.with_columns(pl.col("open_time").dt.epoch("ms")).to_dicts()


def assert_same_bars(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        for key in ("open_time", "open", "high", "low", "close", "trade_count", *TICK_COLUMNS):
            assert got[key] == want[key], key
        for key in ("volume", "buy_volume", "sell_volume", "vwap"):
            assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-9), key


trade_strategy = st.tuples(
    st.integers(min_value=0, max_value=10 * 3600 * 1_000_000),  # within 10 hours of T0
    st.floats(min_value=0.01, max_value=1e6, allow_nan=False, allow_infinity=False),
    st.floats(min_value=1e-6, max_value=1e3, allow_nan=False, allow_infinity=False),
    st.sampled_from(["Buy", "Sell"]),
    st.sampled_from([None, *TICKS]),
)


@settings(max_examples=60, deadline=None)
@given(
    trades=st.lists(trade_strategy, min_size=1, max_size=80),
    timeframe=st.sampled_from(TIMEFRAMES),
)
def test_resampled_1m_bars_equal_direct_aggregation_of_trades(
    trades: list[TickedTrade], timeframe: str
) -> None:
    frame = trades_frame(trades).sort("timestamp", maintain_order=True)

    resampled = resample(bars_from_trades(frame, "1m"), timeframe)

    assert resampled.schema == BAR_SCHEMA
    assert_same_bars(as_dicts(resampled), reference_bars(trades, timeframe))


@settings(max_examples=30, deadline=None)
@given(trades=st.lists(trade_strategy, min_size=1, max_size=60))
def test_resampling_in_steps_equals_resampling_at_once(trades: list[TickedTrade]) -> None:
    bars_1m = bars_from_trades(trades_frame(trades).sort("timestamp", maintain_order=True))
    assert_same_bars(
        as_dicts(resample(resample(bars_1m, "1h"), "4h")), as_dicts(resample(bars_1m, "4h"))
    )


@settings(max_examples=60, deadline=None)
@given(
    old=st.lists(trade_strategy, min_size=1, max_size=60),
    new=st.lists(trade_strategy, min_size=1, max_size=30),
    timeframe=st.sampled_from(TIMEFRAMES[1:]),
)
def test_recomputing_only_touched_periods_equals_a_full_resample(
    old: list[TickedTrade], new: list[TickedTrade], timeframe: str
) -> None:
    # New trades land in some minutes (new ones, or ones that already had trades): those
    # minutes are rebuilt from all their trades, as an ingest does, and only the higher
    # bars containing them are recomputed.
    before = bars_from_trades(trades_frame(old).sort("timestamp", maintain_order=True))
    everything = trades_frame(old + new).sort("timestamp", maintain_order=True)
    minutes = {(T0_US + t[0]) // MINUTE_US * MINUTE_US // 1000 for t in new}
    rebuilt = bars_from_trades(everything).filter(
        pl.col("open_time").dt.epoch("ms").is_in(sorted(minutes))
    )
    after = merge_trade_bars(before, rebuilt)

    spliced = resample_touched(after, resample(before, timeframe), timeframe, rebuilt["open_time"])

    assert spliced.equals(resample(after, timeframe), null_equal=True)


def test_untouched_periods_are_kept_as_stored() -> None:
    bars_1m = _bars([_traded(0, 10.0, 1.0), _traded(300, 20.0, 1.0)])  # 00:00 and 05:00
    stored = resample(bars_1m, "1h").with_columns(pl.col("close") * 0 + 99.0)  # a marker
    changed = _bars([_traded(301, 21.0, 2.0)])

    spliced = resample_touched(
        merge_trade_bars(bars_1m, changed), stored, "1h", changed["open_time"]
    )

    assert [r["close"] for r in as_dicts(spliced)] == [99.0, 21.0]  # 00:00 not recomputed
    with pytest.raises(ValueError, match="1m bars are merged"):
        resample_touched(bars_1m, bars_1m, "1m", changed["open_time"])


def _candle(minute: int, price: float, volume: float) -> dict[str, Any]:
    return {"open_time": ms(minute), "open": price, "high": price, "low": price,
            "close": price, "volume": volume, "buy_volume": None, "sell_volume": None,
            "trade_count": None, "vwap": None}  # fmt: skip


def _traded(minute: int, price: float, volume: float) -> dict[str, Any]:
    return {"open_time": ms(minute), "open": price, "high": price, "low": price,
            "close": price, "volume": volume, "buy_volume": volume, "sell_volume": 0.0,
            "trade_count": 2, "vwap": price, "plus_tick_count": 1, "zero_plus_tick_count": 1,
            "minus_tick_count": 0, "zero_minus_tick_count": 0}  # fmt: skip


def _bars(rows: list[dict[str, Any]]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema_overrides={"open_time": pl.Int64})
    return conform_bars(frame.with_columns(pl.col("open_time").cast(pl.Datetime("ms", "UTC"))))


def test_order_flow_is_null_when_any_minute_lacks_it() -> None:
    # 00:00-00:05: one traded minute + one candle minute -> order flow unknown for the bar.
    # 00:05-00:10: two traded minutes -> complete sums.
    bars_1m = _bars(
        [_traded(0, 10.0, 1.0), _candle(1, 12.0, 3.0), _traded(5, 20.0, 1.0), _traded(6, 30.0, 3.0)]
    )

    rows = as_dicts(resample(bars_1m, "5m"))

    assert [r["open_time"] for r in rows] == [ms(0), ms(5)]
    assert rows[0]["volume"] == 4.0  # price volume is always complete
    assert [rows[0][k] for k in ("buy_volume", "sell_volume", "trade_count", "vwap")] == [None] * 4
    assert (rows[1]["buy_volume"], rows[1]["sell_volume"], rows[1]["trade_count"]) == (4.0, 0, 4)
    assert rows[1]["vwap"] == pytest.approx((20.0 * 1 + 30.0 * 3) / 4)
    assert [rows[0][k] for k in TICK_COLUMNS] == [None] * 4
    assert [rows[1][k] for k in TICK_COLUMNS] == [2, 2, 0, 0]


def test_periods_without_minutes_have_no_row_and_4h_aligns_to_utc_midnight() -> None:
    bars_1m = _bars([_candle(0, 1.0, 1.0), _candle(239, 2.0, 1.0), _candle(6 * 60, 3.0, 1.0)])

    assert [r["open_time"] for r in as_dicts(resample(bars_1m, "4h"))] == [ms(0), ms(240)]
    assert [r["close"] for r in as_dicts(resample(bars_1m, "4h"))] == [2.0, 3.0]
    assert len(as_dicts(resample(bars_1m, "1h"))) == 3


def test_unknown_timeframe_is_rejected() -> None:
    with pytest.raises(ValueError, match="timeframe"):
        resample(_bars([_candle(0, 1.0, 1.0)]), "2m")
