"""No look-ahead: changing anything after time t (bars, signals, detail bars) changes no trade
decided or entered at or before t, no trade closed by t, and no equity row up to t.

"After t" is read on the information a decision at bar t's close can have: bars and signals
with open_time > t, and detail bars inside those later bars (a detail bar inside bar t itself
is information of bar t). Rows after t are perturbed in value, nulled, dropped and added.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.engine.rule import EvRule
from services.engine.simulate import EngineResult, simulate
from tests.unit.engine.cases import random_market, rules
from tests.unit.engine.helpers import TRADE_COLUMNS, diff_trades

DECISION = ("side", "signal_time", "probability", "expected_value")
ENTRY = (*DECISION, "entry_time", "entry_price", "entry_fill", "take_profit", "stop_loss")


def _shake(frame: pl.DataFrame, mask: pl.Series, rng: np.random.Generator) -> pl.DataFrame:
    """New OHLC values (still a valid bar) on the rows where `mask` is true."""
    n = frame.height
    later = mask.to_numpy()
    scale = np.where(later, rng.uniform(0.9, 1.1, n), 1.0)
    o = frame["open"].to_numpy() * scale * np.where(later, rng.uniform(0.97, 1.03, n), 1.0)
    c = frame["close"].to_numpy() * scale
    h = np.maximum(frame["high"].to_numpy() * scale * np.where(later, 1.02, 1.0), np.maximum(o, c))
    lo = np.minimum(frame["low"].to_numpy() * scale * np.where(later, 0.98, 1.0), np.minimum(o, c))
    return frame.with_columns(open=o, high=h, low=lo, close=c)


def perturb(
    bars: pl.DataFrame,
    signals: pl.DataFrame,
    detail: pl.DataFrame,
    t: object,
    seed: int,
    drop: bool,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    later = bars["open_time"] > t
    new_bars = _shake(bars, later, rng)
    if drop:  # drop some later rows, keeping one after t and the bar length unchanged
        keep = (~later) | pl.Series(rng.random(bars.height) < 0.7)
        first_later = int(later.arg_true()[0])
        keep[first_later] = True
        candidate = new_bars.filter(keep)
        if candidate["open_time"].diff().min() == bars["open_time"].diff().min():
            new_bars = candidate
    bar_ms = bars["open_time"].diff().min()
    next_time = new_bars.filter(pl.col("open_time") > t)["open_time"][0]
    # detail: perturb the minutes of later bars, keep only minutes of bars that still exist
    later_detail = detail["open_time"] >= next_time
    new_detail = _shake(detail, later_detail, rng)
    parent = new_detail["open_time"].dt.truncate(bar_ms)  # type: ignore[arg-type]
    new_detail = new_detail.filter(parent.is_in(new_bars["open_time"].implode()))
    # signals: later rows get new values, nulls, some dropped, some new rows
    old = signals.filter(pl.col("open_time") <= t)
    times = new_bars.filter(pl.col("open_time") > t)["open_time"]
    chosen = times.filter(pl.Series(rng.random(times.len()) < 0.5))
    m = chosen.len()

    def col(lo: float, hi: float) -> pl.Series:
        values = rng.uniform(lo, hi, m)
        return pl.Series([None if rng.random() < 0.25 else float(v) for v in values])

    closes = new_bars.filter(pl.col("open_time").is_in(chosen.implode()))["close"].to_numpy()
    fresh = pl.DataFrame(
        {
            "open_time": chosen,
            "p_long": col(0.2, 0.95),
            "p_short": col(0.2, 0.95),
            "atr": pl.Series(closes * rng.uniform(0.002, 0.03, m)),
        }
    )
    return new_bars, pl.concat([old, fresh.cast(dict(old.schema))]), new_detail


def _subset(
    result: EngineResult, column: str, t: object, exclude_end: bool = False
) -> list[dict[str, Any]]:
    frame = result.trades.filter(pl.col(column) <= t)
    if exclude_end:
        frame = frame.filter(pl.col("exit_reason") != "end")
    return frame.select(TRADE_COLUMNS).to_dicts()


def _only(trades: list[dict[str, Any]], columns: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {c: trade[c] for c in columns} | dict.fromkeys(set(TRADE_COLUMNS) - set(columns))
        for trade in trades
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
    st.floats(0.0, 0.95),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    rules(),
)
def test_changes_after_t_do_not_change_trades_decided_by_t(
    market_seed: int,
    perturb_seed: int,
    t_share: float,
    grid: bool,
    with_detail: bool,
    drop: bool,
    rule: EvRule,
) -> None:
    market = random_market(market_seed, 60, grid, 0.5)
    k = min(int(t_share * market.bars.height), market.bars.height - 2)
    t = market.bars["open_time"][k]
    bars2, signals2, detail2 = perturb(
        market.bars, market.signals, market.detail, t, perturb_seed, drop
    )
    a = simulate(market.bars, market.signals, rule, market.detail if with_detail else None)
    b = simulate(bars2, signals2, rule, detail2 if with_detail else None)
    context = f"t=bar {k} {rule!r}"
    for column, keys in (("signal_time", DECISION), ("entry_time", ENTRY)):
        got, want = _subset(b, column, t), _subset(a, column, t)
        problems = diff_trades(_only(got, keys), _only(want, keys))
        assert not problems, f"{context} {column}<=t:\n" + "\n".join(problems)
    problems = diff_trades(_subset(b, "exit_time", t, True), _subset(a, "exit_time", t, True))
    assert not problems, f"{context} exit_time<=t:\n" + "\n".join(problems)
    before = pl.col("open_time") <= t
    cols = ["open_time", "equity", "equity_gross", "position"]
    assert b.equity.filter(before).select(cols).equals(a.equity.filter(before).select(cols)), (
        context
    )
