"""The engine against vectorbt 1.2's `Portfolio.from_signals`, on the cases both can express.

The mapping (read from vectorbt/portfolio/nb.py, `simulate_from_signals_nb` and its helpers):

- Decisions: the contract's EV gate (the reference's `candidate`, written from the contract)
  at bar i's close becomes a long or short entry signal at bar i+1, with `price` = the open,
  so the order fills at open·(1±s) (`slippage` is applied by buy_nb/sell_nb on the order price).
- Levels: `stop_entry_price=Price` (the raw open, not the fill), per-bar `sl_stop` and `tp_stop`
  = k·atr_i / open_{i+1} at the fill bar, so vectorbt's E·(1∓sl) and E·(1±tp) are the
  contract's E ∓ k_sl·atr_i and E ± k_tp·atr_i (to rounding).
- Stops: `get_stop_price_nb` checks the stop first, then the target; an open at or beyond a
  level fills at the open, else a level inside [low, high] fills at the level: the contract's
  rules 3a and 3b, and rule 3c without detail (the stop when a bar holds both).
- Slippage on stops, none on a take-profit: vectorbt has one `stop_exit_price` for both stops
  of a bar, so it is set per bar: `StopLimit` (no slippage) on the bars where the reference
  takes profit, `StopMarket` elsewhere. This setting changes only a stop's fill price, never
  which stop fires or when, so exit bars and kinds are still compared independently.
- One position, no pyramiding (`accumulate=False`: a same-side entry in position is ignored);
  `on_opposite` flip / close / ignore = `upon_opposite_entry` Reverse / Close / Ignore; size
  `inf` with `lock_cash=True` puts the whole equity into each position, long or short, also
  after a reversal (checked below in equity).
- End of data: an exit signal on the last bar with `price` = its close.

What vectorbt cannot express, and how the cases are made expressible:

- The entry bar: vectorbt sets a position's stops after its order and checks them from the
  next bar on; the contract checks the entry bar's own range. Entry bars are clipped (high,
  low, and if need be close, pulled inside the trade's levels) until no trade reaches a level
  on its entry bar.
- A signal exit (close/flip) at an open: vectorbt checks the old position's stops on that bar
  before the signal, the contract closes at the open first. Such bars are clipped inside the
  old trade's levels (open included).
- An open beyond the target on a bar whose range also reaches the stop: the contract takes
  profit at the open (3a comes first), vectorbt checks the stop first and stops. Such bars
  have the low (long) or high (short) lifted off the stop.
- `max_hold_bars` (vectorbt 1.2 has no holding limit without a custom signal function, which
  would be a second copy of our logic, not an independent one): time exits are disabled by a
  holding limit longer than the data.
- Detail bars: vectorbt has one bar resolution; no detail here (rule 3c counts the stop).
- An entry at the last bar's open and an end exit at its close are two orders on one bar:
  the last-but-one bar carries no signal.
- Fees: vectorbt deducts the fee from the cash paid or received (a long returns
  X'(1-f) / (E'(1+f)) - 1), the contract charges f·(1 + X'/E') on the entry notional. Fills,
  bars and directions are compared with fees on; equity is compared to 1e-9 with fees off,
  and with fees on against vectorbt's own fee model applied to the engine's fills.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.engine.rule import EvRule
from services.engine.simulate import simulate
from tests.unit.engine.cases import ETH_1M, random_market, real_market
from tests.unit.engine.helpers import assert_agree
from tests.unit.engine.reference import RefResult, candidate, reference_simulate

NO_TIME_EXIT = 10**9
TOL = 1e-9


@pytest.fixture(scope="module")
def vbt() -> Iterator[Any]:
    """vectorbt, imported (and its kernels compiled) once for the module."""
    import vectorbt

    yield vectorbt


@dataclass(frozen=True)
class Case:
    bars: pl.DataFrame
    signals: pl.DataFrame
    ref: RefResult


def _interval(trade: dict[str, Any]) -> tuple[float, float]:
    lo, hi = sorted((trade["stop_loss"], trade["take_profit"]))
    return lo, hi


def expressible(bars: pl.DataFrame, signals: pl.DataFrame, rule: EvRule) -> Case:
    """Change `bars` (and drop the last-but-one bar's signal) until the contract's run holds
    none of the situations vectorbt cannot express (module docstring); each pass fixes the
    earliest one, so the prefix before it is final and the loop ends."""
    n = bars.height
    if n >= 2:
        signals = signals.filter(pl.col("open_time") != bars["open_time"][n - 2])
    o, h, lo, c = (bars[col].to_list() for col in ("open", "high", "low", "close"))
    times = bars["open_time"].to_list()
    row = {t: i for i, t in enumerate(times)}
    for _ in range(10 * n + 10):
        frame = bars.with_columns(
            open=pl.Series(o), high=pl.Series(h), low=pl.Series(lo), close=pl.Series(c)
        )
        ref = reference_simulate(frame, signals, rule)
        fixes: list[tuple[int, str, dict[str, Any]]] = []
        for trade in ref.trades:
            e, x = row[trade["entry_time"]], row[trade["exit_time"]]
            a, b = _interval(trade)
            if not (a < lo[e] and h[e] < b):
                fixes.append((e, "inside", trade))
            if trade["exit_reason"] == "signal" and not (a < lo[x] and h[x] < b):
                fixes.append((x, "inside", trade))
            if trade["exit_reason"] == "take_profit" and trade["exit_price"] == o[x] and x > e:
                long = trade["side"] == "long"
                if (long and lo[x] <= trade["stop_loss"]) or (
                    not long and h[x] >= trade["stop_loss"]
                ):
                    fixes.append((x, "off_stop", trade))
        if not fixes:
            return Case(frame, signals, ref)
        j, kind, trade = min(fixes, key=lambda f: f[0])
        a, b = _interval(trade)
        pad = (b - a) * 1e-3
        if kind == "inside":
            o[j] = min(max(o[j], a + pad), b - pad)
            c[j] = min(max(c[j], a + pad), b - pad)
            h[j] = min(max(h[j], o[j], c[j]), b - pad)
            lo[j] = max(min(lo[j], o[j], c[j]), a + pad)
        elif trade["side"] == "long":
            lo[j] = trade["stop_loss"] + pad
            c[j] = max(c[j], lo[j])
        else:
            h[j] = trade["stop_loss"] - pad
            c[j] = min(c[j], h[j])
    raise AssertionError("could not make the case expressible")


def run_vbt(vbt: Any, case: Case, rule: EvRule) -> Any:
    bars, n = case.bars, case.bars.height
    opens = bars["open"].to_numpy()
    closes = bars["close"].to_numpy()
    long_entries = np.zeros(n, dtype=bool)
    short_entries = np.zeros(n, dtype=bool)
    sl = np.full(n, np.nan)
    tp = np.full(n, np.nan)
    index = {t: i for i, t in enumerate(bars["open_time"].to_list())}
    for s in case.signals.iter_rows(named=True):
        i = index[s["open_time"]]
        if i >= n - 1:
            continue
        cand = candidate(s["p_long"], s["p_short"], s["atr"], closes[i], rule)
        if cand is None:
            continue
        (long_entries if cand[0] == 1 else short_entries)[i + 1] = True
        sl[i + 1] = rule.k_sl * s["atr"] / opens[i + 1]
        tp[i + 1] = rule.k_tp * s["atr"] / opens[i + 1]
    price = opens.copy()
    price[-1] = closes[-1]
    last = np.zeros(n, dtype=bool)
    last[-1] = True
    enums = vbt.portfolio.enums
    stop_exit = np.full(n, enums.StopExitPrice.StopMarket)
    for trade in case.ref.trades:
        if trade["exit_reason"] == "take_profit":
            stop_exit[index[trade["exit_time"]]] = enums.StopExitPrice.StopLimit
    upon = {"flip": "reverse", "close": "close", "ignore": "ignore"}[rule.on_opposite]
    return vbt.Portfolio.from_signals(
        close=closes,
        entries=long_entries,
        exits=last,
        short_entries=short_entries,
        short_exits=last,
        price=price,
        open=opens,
        high=bars["high"].to_numpy(),
        low=bars["low"].to_numpy(),
        sl_stop=sl,
        tp_stop=tp,
        stop_entry_price=enums.StopEntryPrice.Price,
        stop_exit_price=stop_exit,
        upon_opposite_entry=upon,
        accumulate=False,
        size=np.inf,
        lock_cash=True,
        fees=rule.fee,
        slippage=rule.slippage,
        init_cash=1.0,
    )


def vbt_model_equity(trades: list[dict[str, Any]], f: float) -> float:
    """vectorbt's fee model on given fills: a long returns X'(1-f)/(E'(1+f)) - 1, a short
    (1-f)/(1+f) - X'/E'."""
    equity = 1.0
    for t in trades:
        ratio = t["exit_fill"] / t["entry_fill"]
        if t["side"] == "long":
            equity *= ratio * (1 - f) / (1 + f)
        else:
            equity *= 1 + (1 - f) / (1 + f) - ratio
    return equity


def compare(vbt: Any, case: Case, rule: EvRule) -> int:
    """Engine == reference on the expressible case, and vectorbt's trades == the engine's
    (bars, direction, fills to 1e-9), and equity to 1e-9 (fees off: both models; fees on:
    vectorbt's own fee model on the engine's fills). Returns the number of trades."""
    engine = simulate(case.bars, case.signals, rule)
    assert_agree(engine, case.ref, "expressible case")
    ours = engine.trades.to_dicts()
    pf = run_vbt(vbt, case, rule)
    theirs = pf.trades.values
    index = {t: i for i, t in enumerate(case.bars["open_time"].to_list())}
    problems = []
    if len(theirs) != len(ours):
        problems.append(f"{len(theirs)} vectorbt trades, engine {len(ours)}")
    for k, (t, v) in enumerate(zip(ours, theirs, strict=False)):
        want = {
            "entry_idx": index[t["entry_time"]],
            "exit_idx": index[t["exit_time"]],
            "direction": 0 if t["side"] == "long" else 1,
            "entry_price": t["entry_fill"],
            "exit_price": t["exit_fill"],
        }
        for key, value in want.items():
            if not math.isclose(float(v[key]), float(value), rel_tol=TOL, abs_tol=TOL):
                problems.append(f"trade {k} {key}: vectorbt {v[key]}, engine {value} ({t})")
    assert not problems, "\n".join(problems[:10])
    value = float(pf.final_value())
    if rule.fee == 0:
        assert math.isclose(value, engine.final_equity, rel_tol=TOL, abs_tol=TOL)
    else:
        assert math.isclose(value, vbt_model_equity(ours, rule.fee), rel_tol=TOL, abs_tol=TOL)
    return len(ours)


@st.composite
def vbt_rules(draw: st.DrawFn) -> EvRule:
    return EvRule(
        k_tp=draw(st.floats(0.3, 4.0)),
        k_sl=draw(st.floats(0.3, 4.0)),
        ev_margin=draw(st.sampled_from([0.0, -0.002, 0.002])),
        fee_bps=draw(st.sampled_from([0.0, 0.0, 5.5, 10.0])),
        slippage_bps=draw(st.sampled_from([0.0, 1.0, 5.0])),
        max_hold_bars=NO_TIME_EXIT,
        on_opposite=draw(st.sampled_from(["flip", "close", "ignore"])),
        sides=draw(st.sampled_from(["long", "short", "both"])),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.integers(3, 80), st.sampled_from([0.1, 0.3, 0.7]), vbt_rules())
def test_engine_agrees_with_vectorbt(
    vbt: Any, seed: int, n_bars: int, density: float, rule: EvRule
) -> None:
    market = random_market(seed, n_bars, grid=False, density=density)
    compare(vbt, expressible(market.bars, market.signals, rule), rule)


def test_vectorbt_cases_are_not_vacuous(vbt: Any) -> None:
    """The expressible cases still hold stops through gaps, targets, flips and closes."""
    reasons: set[str] = set()
    trades = 0
    for seed in range(12):
        market = random_market(seed, 80, grid=False, density=0.5)
        for opp in ("flip", "close"):
            rule = EvRule(
                k_tp=1.5,
                k_sl=1.0,
                slippage_bps=1.0,
                max_hold_bars=NO_TIME_EXIT,
                on_opposite=opp,  # type: ignore[arg-type]
            )
            case = expressible(market.bars, market.signals, rule)
            trades += compare(vbt, case, rule)
            reasons |= {t["exit_reason"] for t in case.ref.trades}
            reasons |= {
                "gap-" + t["exit_reason"]
                for t in case.ref.trades
                if t["exit_reason"] in ("stop", "take_profit")
                and t["exit_price"] not in (t["stop_loss"], t["take_profit"])
            }
    assert {"stop", "take_profit", "signal", "end", "gap-stop", "gap-take_profit"} <= reasons
    assert trades > 200


@pytest.mark.parametrize(
    "rule",
    [
        EvRule(k_tp=2.0, k_sl=1.0, fee_bps=0.0, slippage_bps=1.0, max_hold_bars=NO_TIME_EXIT),
        EvRule(
            k_tp=1.0,
            k_sl=1.5,
            fee_bps=5.5,
            slippage_bps=1.0,
            max_hold_bars=NO_TIME_EXIT,
            on_opposite="close",
            sides="long",
        ),
        EvRule(
            k_tp=1.5,
            k_sl=0.8,
            fee_bps=0.0,
            slippage_bps=0.0,
            max_hold_bars=NO_TIME_EXIT,
            on_opposite="ignore",
            sides="short",
        ),
    ],
    ids=["flip-both", "close-long-fees", "ignore-short"],
)
def test_engine_agrees_with_vectorbt_on_real_bars(vbt: Any, rule: EvRule) -> None:
    """Real ETHUSDT 15m bars (a month of 1m candles aggregated), ATR(14), seeded signals."""
    market = real_market(ETH_1M, "15m", seed=11, density=0.25, rows=45_000)
    case = expressible(market.bars, market.signals, rule)
    changed = (case.bars["high"] != market.bars["high"]) | (case.bars["low"] != market.bars["low"])
    assert int(changed.sum()) < market.bars.height * 0.1  # mostly the real bars as they were
    assert compare(vbt, case, rule) > 50
