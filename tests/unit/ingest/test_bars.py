"""1m bars from trades, checked against numbers worked out by hand."""

from __future__ import annotations

import polars as pl
import pytest

from services.ingest.domain.bars import BAR_SCHEMA, bars_from_trades
from services.ingest.domain.trades import parse_trades
from tests.unit.ingest.factories import T0_S, csv, ms, trades_frame

S = 1_000_000  # one second in microseconds
TRADES = [
    (5 * S, 100.0, 1.0, "Buy"),
    (30 * S, 102.0, 2.0, "Sell"),
    (60 * S - 1, 101.0, 1.0, "Buy"),  # the last microsecond of minute 0
    (60 * S, 103.0, 0.5, "Sell"),  # exactly 00:01:00 opens minute 1
    (190 * S, 99.0, 4.0, "Buy"),  # minute 3; minute 2 has no trades
]


def test_ohlcv_order_flow_and_minute_boundaries() -> None:
    bars = bars_from_trades(trades_frame(TRADES))

    assert bars.schema == BAR_SCHEMA
    assert bars["open_time"].dt.epoch("ms").to_list() == [ms(0), ms(1), ms(3)]
    assert bars.select(BAR_SCHEMA.names()[1:10]).rows() == [
        # open, high, low, close, volume, buy, sell, count, vwap=(100+204+101)/4
        (100.0, 102.0, 100.0, 101.0, 4.0, 2.0, 2.0, 3, 101.25),
        (103.0, 103.0, 103.0, 103.0, 0.5, 0.0, 0.5, 1, 103.0),
        (99.0, 99.0, 99.0, 99.0, 4.0, 4.0, 0.0, 1, 99.0),
    ]


def test_five_minute_bars_directly_from_trades() -> None:
    bars = bars_from_trades(trades_frame(TRADES), every="5m")

    assert bars["open_time"].dt.epoch("ms").to_list() == [ms(0)]
    row = bars.row(0, named=True)
    assert (row["open"], row["high"], row["low"], row["close"]) == (100.0, 103.0, 99.0, 99.0)
    assert (row["volume"], row["buy_volume"], row["sell_volume"]) == (8.5, 6.0, 2.5)
    assert row["trade_count"] == 5
    assert row["vwap"] == pytest.approx((405.0 + 51.5 + 396.0) / 8.5)


def test_open_and_close_follow_file_order_for_equal_timestamps() -> None:
    # Unsorted on purpose; the two trades at :59.5 keep their file order (105 last).
    data = csv(
        "timestamp,price,size,side",
        f"{T0_S + 59.5},100,1,Buy",
        f"{T0_S + 1},90,1,Sell",
        f"{T0_S + 59.5},105,1,Buy",
        f"{T0_S + 1},95,1,Sell",
    )
    bars = bars_from_trades(parse_trades(data, "t.csv"))

    assert bars.select("open", "high", "low", "close", "trade_count").row(0) == (
        90.0, 105.0, 90.0, 105.0, 4,
    )  # fmt: skip


def test_no_trades_means_no_bars() -> None:
    assert bars_from_trades(trades_frame([])).height == 0


def test_vwap_is_volume_weighted_not_a_mean_of_prices() -> None:
    bars = bars_from_trades(trades_frame([(0, 10.0, 9.0, "Buy"), (S, 20.0, 1.0, "Sell")]))
    assert bars["vwap"].to_list() == [pytest.approx(11.0)]
    assert bars.select(pl.col("buy_volume") + pl.col("sell_volume")).item() == 10.0


def test_tick_direction_counts_per_bar() -> None:
    ticks = ["PlusTick", "ZeroPlusTick", None, "MinusTick", "ZeroMinusTick"]
    rows = [(*trade, tick) for trade, tick in zip(TRADES, ticks, strict=True)]
    bars = bars_from_trades(trades_frame(rows))
    counts = bars.select(
        "plus_tick_count", "zero_plus_tick_count", "minus_tick_count", "zero_minus_tick_count"
    )
    # minute 0: Plus, ZeroPlus and one trade without a direction; minute 1: Minus; 3: ZeroMinus
    assert counts.rows() == [(1, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1)]
