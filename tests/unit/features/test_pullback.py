"""The EMA-touch pullback label's triple barrier on hand-built 5m bars and their 1m bars.

Every case: an event on the 5m bar at minute 0 with ATR 1, entry at the next bar's open (100),
k_tp 2 and k_sl 1 (long: take profit 102, stop 99), H = 3 bars.
"""

from __future__ import annotations

import polars as pl
import pytest

from services.features.domain.config import PullbackLabel
from services.features.domain.labels import label_definition
from services.features.domain.pullback import resolve
from tests.unit.features.helpers import minutes

LONG = PullbackLabel(kind="ema_pullback", timeframe="5m", trend_timeframe="1h", horizon_bars=3)
SHORT = LONG.model_copy(update={"side": "short"})


def five_minute(rows: list[tuple[float, float, float, float]], event: int = 0) -> pl.DataFrame:
    """5m bars from (open, high, low, close); the bar at index `event` is the event."""
    return pl.DataFrame(
        {
            "open_time": minutes(*(5 * i for i in range(len(rows)))),
            "open": [r[0] for r in rows],
            "high": [r[1] for r in rows],
            "low": [r[2] for r in rows],
            "close": [r[3] for r in rows],
            "is_event": [i == event for i in range(len(rows))],
            "atr": [1.0] * len(rows),
        },
        schema_overrides={"open_time": pl.Datetime("ms", "UTC")},
    )


def one_minute(spans: dict[int, list[tuple[float, float]]], bars: int) -> pl.DataFrame:
    """1m bars for `bars` 5m bars: (high, low) per minute where given, else (100.5, 99.5)."""
    times, highs, lows = [], [], []
    for b in range(bars):
        inside = spans.get(b, [(100.5, 99.5)] * 5)
        for m, (high, low) in enumerate(inside):
            times.append(5 * b + m)
            highs.append(high)
            lows.append(low)
    return pl.DataFrame(
        {"open_time": minutes(*times), "high": highs, "low": lows},
        schema_overrides={"open_time": pl.Datetime("ms", "UTC")},
    )


QUIET = (100.0, 100.5, 99.5, 100.0)


def outcome(frame: pl.DataFrame) -> tuple[int, float, int, int]:
    assert frame.height == 1
    row = frame.row(0, named=True)
    return row["label"], row["label_r"], row["label_bars"], row["open_time"].minute


def test_take_profit_first_gives_one_and_r_of_k_tp_over_k_sl() -> None:
    bars = five_minute([QUIET, QUIET, (100.0, 102.5, 99.5, 102.0), QUIET, QUIET])
    # Label sits on the 1m row closing with the event bar (opened at minute 4).
    assert outcome(resolve(bars, one_minute({}, 5), LONG)) == (1, 2.0, 2, 4)


def test_stop_first_gives_zero_and_minus_one() -> None:
    bars = five_minute([QUIET, (100.0, 100.5, 98.9, 99.0), (100, 103.0, 99.5, 102), QUIET])
    assert outcome(resolve(bars, one_minute({}, 4), LONG))[:3] == (0, -1.0, 1)


def test_both_in_one_bar_are_resolved_with_its_one_minute_bars() -> None:
    bars = five_minute([QUIET, (100.0, 102.5, 98.5, 100.0), QUIET, QUIET, QUIET])
    tp_first = {1: [(100.5, 99.5), (102.1, 99.9), (100.5, 98.5), (100.5, 99.5), (100.5, 99.5)]}
    sl_first = {1: [(100.5, 99.5), (100.5, 98.9), (102.2, 99.5), (100.5, 99.5), (100.5, 99.5)]}
    assert outcome(resolve(bars, one_minute(tp_first, 5), LONG))[:3] == (1, 2.0, 1)
    assert outcome(resolve(bars, one_minute(sl_first, 5), LONG))[:3] == (0, -1.0, 1)


def test_both_in_one_minute_bar_count_as_the_stop() -> None:
    bars = five_minute([QUIET, (100.0, 102.5, 98.5, 100.0), QUIET, QUIET, QUIET])
    undecidable = {1: [(100.5, 99.5), (102.5, 98.5), (100.5, 99.5), (100.5, 99.5), (100.5, 99.5)]}
    assert outcome(resolve(bars, one_minute(undecidable, 5), LONG))[:3] == (0, -1.0, 1)


def test_time_barrier_gives_zero_and_the_realised_r() -> None:
    bars = five_minute([QUIET, QUIET, QUIET, (100.0, 100.5, 99.5, 100.6), QUIET])
    # Exit at the close of the third bar after entry: (100.6 - 100) / (1 * ATR 1).
    assert outcome(resolve(bars, one_minute({}, 5), LONG))[:3] == (0, pytest.approx(0.6), 3)


def test_short_mirrors_long() -> None:
    bars = five_minute([QUIET, QUIET, (100.0, 100.5, 97.9, 98.0), QUIET, QUIET])
    assert outcome(resolve(bars, one_minute({}, 5), SHORT))[:3] == (1, 2.0, 2)
    bars = five_minute([QUIET, (100.0, 101.1, 99.5, 100.0), QUIET, QUIET, QUIET])
    assert outcome(resolve(bars, one_minute({}, 5), SHORT))[:3] == (0, -1.0, 1)


def test_unresolved_or_gapped_events_have_no_label() -> None:
    # The data ends before the time barrier.
    bars = five_minute([QUIET, QUIET, QUIET])
    assert resolve(bars, one_minute({}, 3), LONG).is_empty()
    # The next bar does not open right after the event bar: no entry.
    gapped = five_minute([QUIET, QUIET, QUIET, QUIET, QUIET]).filter(pl.int_range(pl.len()) != 1)
    assert resolve(gapped, one_minute({}, 5), LONG).is_empty()


def test_definition_carries_the_horizon_for_purging() -> None:
    definition = label_definition(LONG)
    # Event row opens at minute 4; the last bar it can read is 1m bar 19 (entry bar + 3).
    assert definition["horizon_steps"] == 15
    assert definition["columns"] == ["label", "label_r", "label_bars", "label_event"]
    assert definition["kind"] == "ema_pullback" and definition["side"] == "long"
