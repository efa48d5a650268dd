"""Bad input is refused with the row and column named; nothing is guessed."""

from __future__ import annotations

import polars as pl
import pytest

from services.common.errors import InvalidInput
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
