"""Bad input is refused with the row and column named; nothing is guessed."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from services.common.errors import InvalidInput
from services.engine.inputs import read_bars, read_signals
from services.engine.rule import EvRule
from services.engine.simulate import simulate

MIN = 60_000
RULE = EvRule(k_tp=2.0, k_sl=1.0)


def bars(n: int = 4) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "open_time": [i * MIN for i in range(n)],
            "open": [100.0] * n,
            "high": [101.0] * n,
            "low": [99.0] * n,
            "close": [100.0] * n,
        }
    )


def signals(**columns: list[object]) -> pl.DataFrame:
    base: dict[str, list[object]] = {"open_time": [0], "p_long": [0.9], "atr": [1.0]}
    return pl.DataFrame({**base, **columns})


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (bars().drop("high"), r"bars: missing columns \['high'\]"),
        (bars().with_columns(pl.Series("open_time", [0, MIN, MIN, 3 * MIN])), "bars: row 2"),
        (bars().with_columns(pl.Series("close", [100.0, -1.0, 100.0, 100.0])), "row 1: `close`"),
        (bars().with_columns(pl.Series("high", [101.0, 99.5, 101.0, 101.0])), "row 1: high"),
        (bars().head(0), "bars: no rows"),
    ],
)
def test_bad_bars(frame: pl.DataFrame, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        simulate(frame, signals(), RULE)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (signals(open_time=[30_000]), "signals: row 0: no bar opens"),
        (signals(p_long=[1.5]), "row 0: `p_long` is 1.5"),
        (signals().drop("atr"), "no `atr` column"),
        (pl.DataFrame({"open_time": [0, 0], "p_long": [0.5, 0.6], "atr": [1.0, 1.0]}), "two rows"),
    ],
)
def test_bad_signals(frame: pl.DataFrame, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        simulate(bars(), frame, RULE)


def test_rule_keys_are_checked_by_name() -> None:
    with pytest.raises(InvalidInput, match="k_tp"):
        EvRule.from_mapping({"k_tp": 0.0, "k_sl": 1.0})
    with pytest.raises(InvalidInput, match="stop_loss"):
        EvRule.from_mapping({"k_tp": 1.0, "k_sl": 1.0, "stop_loss": 2})
    with pytest.raises(InvalidInput, match="on_opposite"):
        EvRule.from_mapping({"k_tp": 1.0, "k_sl": 1.0, "on_opposite": "reverse"})


def test_datetime_and_integer_times_give_the_same_trades() -> None:
    as_ms = simulate(bars(), signals(), RULE)
    dated = bars().with_columns(pl.col("open_time").cast(pl.Datetime("ms", "UTC")))
    as_dt = simulate(dated, signals(), RULE)
    assert as_ms.trades.equals(as_dt.trades)
    assert as_ms.trades.height == 1


def test_signals_align_to_bars_in_any_order_or_are_refused() -> None:
    """The one-pass alignment against numpy's searchsorted, on sorted and shuffled signals,
    with unknown times and duplicates mixed in, over irregular bars and over a minute grid
    with missing minutes (where the evenly-spaced guess hits, then misses after a gap)."""
    rng = np.random.default_rng(0)
    for _ in range(600):
        n = int(rng.integers(1, 60))
        if rng.random() < 0.5:
            times = np.sort(rng.choice(10**6, n, replace=False)).astype(np.int64)
        else:
            grid = np.arange(2 * n, dtype=np.int64) * MIN
            times = np.sort(rng.choice(grid, n, replace=False)) if n > 2 else grid[:n]
        frame = pl.DataFrame({"open_time": times, "open": 1.0, "high": 1.0, "low": 1.0,
                              "close": 1.0})  # fmt: skip
        m = int(rng.integers(0, n + 1))
        pick = rng.choice(n, m, replace=False)
        if rng.random() < 0.5:
            pick = np.sort(pick)
        asked = times[pick].copy()
        broken = False
        if m and rng.random() < 0.3:
            asked[rng.integers(0, m)] += 1  # names no bar
            broken = bool(~np.isin(asked, times).all())
        elif m > 1 and rng.random() < 0.3:
            asked[-1] = asked[0]  # one bar twice
            broken = True
        p = np.linspace(0.0, 1.0, m)
        signals = pl.DataFrame({"open_time": asked, "p_long": p, "atr": 1.0})
        if broken:
            with pytest.raises(InvalidInput, match="no bar opens|two rows"):
                read_signals(signals, read_bars(frame))
            continue
        got = read_signals(signals, read_bars(frame))
        expected = np.searchsorted(times, asked)
        order = np.argsort(expected)
        assert (got.bar == expected[order]).all()
        assert np.allclose(got.p_long, p[order])
