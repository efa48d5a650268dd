"""Dataset rows -> the engine's bars, signals and detail on the model's timeframe."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from services.common.errors import Conflict, InvalidInput
from services.research.signals import engine_inputs, signal_plan, timeframe_minutes

T0 = 1_750_000_200_000  # a multiple of 5 minutes (UTC-aligned windows)
MINUTE = 60_000


def rows(minutes: list[int], event_at: set[int] | None = None) -> pl.DataFrame:
    n = len(minutes)
    close = 100.0 + np.arange(n, dtype=np.float64)
    frame = pl.DataFrame(
        {
            "open_time": [T0 + m * MINUTE for m in minutes],
            "open": close - 0.5,
            "high": close + 1.0,
            "low": close - 1.0,
            "close": close,
            "atr_14_1m": np.full(n, 0.01),
            "atr_14_5m": np.full(n, 0.02),
            "label": pl.Series([1, 0] * (n // 2) + [1] * (n % 2), dtype=pl.Int8),
        }
    ).with_columns(pl.col("open_time").cast(pl.Datetime("ms", "UTC")))
    if event_at is not None:
        frame = frame.with_columns(pl.Series("label_event", [m in event_at for m in minutes]))
    return frame


FORWARD = signal_plan({"kind": "forward_return", "side": "long", "horizon_steps": 15}, {})
PULLBACK = signal_plan(
    {"kind": "ema_pullback", "side": "short", "timeframe": "5m", "atr_period": 14,
     "horizon_bars": 24},
    {"atr_period": 9},
)  # fmt: skip


def test_plans_follow_the_label() -> None:
    assert (FORWARD.timeframe, FORWARD.atr_column, FORWARD.horizon_bars) == ("1m", "atr_14_1m", 15)
    assert not FORWARD.events_only
    assert (PULLBACK.timeframe, PULLBACK.minutes, PULLBACK.atr_column) == ("5m", 5, "atr_14_5m")
    assert PULLBACK.events_only and PULLBACK.side == "short" and PULLBACK.horizon_bars == 24
    assert timeframe_minutes("4h") == 240
    with pytest.raises(InvalidInput):
        timeframe_minutes("5x")


def test_one_minute_signals_on_every_row_with_atr_in_price_units() -> None:
    frame = rows([0, 1, 2, 4])  # minute 3 is missing: a gap, not a row
    p = np.array([0.1, 0.2, 0.3, 0.4])
    inputs = engine_inputs(frame, p, FORWARD)
    assert inputs.detail is None
    assert inputs.bars.height == 4
    assert inputs.signals["p_long"].to_list() == pytest.approx(p.tolist())
    assert inputs.signals["p_short"].null_count() == 4
    assert inputs.signals["atr"].to_list() == pytest.approx((frame["close"] * 0.01).to_list())


def test_higher_timeframe_bars_aggregate_and_signal_at_the_last_minute() -> None:
    minutes = list(range(10))  # two 5m bars
    frame = rows(minutes, event_at={4, 9})
    p = np.linspace(0.1, 0.9, 10)
    inputs = engine_inputs(frame, p, PULLBACK)
    bars = inputs.bars
    assert bars["open_time"].dt.epoch("ms").to_list() == [T0, T0 + 5 * MINUTE]
    assert bars["open"].to_list() == [frame["open"][0], frame["open"][5]]
    assert bars["high"].to_list() == [frame["high"][:5].max(), frame["high"][5:].max()]
    assert bars["low"].to_list() == [frame["low"][:5].min(), frame["low"][5:].min()]
    assert bars["close"].to_list() == [frame["close"][4], frame["close"][9]]
    # The short label's probability is p_short, read at each bar's last minute.
    assert inputs.signals["p_short"].to_list() == pytest.approx([p[4], p[9]])
    assert inputs.signals["p_long"].null_count() == 2
    assert inputs.signals["atr"].to_list() == pytest.approx(
        [frame["close"][4] * 0.02, frame["close"][9] * 0.02]
    )
    assert inputs.detail is not None and inputs.detail.height == 10


def test_pullback_signals_only_on_event_bars() -> None:
    frame = rows(list(range(15)), event_at={9})
    inputs = engine_inputs(frame, np.full(15, 0.7), PULLBACK)
    assert inputs.signals["open_time"].dt.epoch("ms").to_list() == [T0 + 5 * MINUTE]
    # A bar whose last row is not the event row does not signal (the event row closes the bar).
    late = rows([0, 1, 2, 3, 4], event_at={3})
    assert engine_inputs(late, np.full(5, 0.7), PULLBACK).signals.height == 0


def test_signal_reads_nothing_after_the_bar_close() -> None:
    frame = rows(list(range(10)), event_at={4, 9})
    p = np.linspace(0.1, 0.9, 10)
    base = engine_inputs(frame, p, PULLBACK).signals
    changed = p.copy()
    changed[5:] = 0.0  # only minutes after the first bar's close change
    after = engine_inputs(frame, changed, PULLBACK).signals
    assert after["p_short"][0] == base["p_short"][0]


def test_missing_atr_feature_is_a_conflict() -> None:
    frame = rows([0, 1]).drop("atr_14_1m")
    with pytest.raises(Conflict, match="atr_14_1m"):
        engine_inputs(frame, np.array([0.5, 0.5]), FORWARD)
