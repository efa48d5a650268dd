"""Performance metrics of an engine run, with costs and without.

Pure numpy over the result's frames; one pass per figure, so a million-bar equity curve is
summarised in a few tens of milliseconds (the tuner scores every fold with it).

Conventions:
- "with costs" reads `equity` and each trade's `net_return`; "without costs" reads
  `equity_gross` and `gross_return` (the same trades on raw prices, no fees, no slippage).
- Sharpe and Sortino are annualised from DAILY returns of the equity curve: the equity at the
  last bar of each UTC day, calendar days without bars carried flat, the first day measured from
  the starting equity 1.0; crypto trades every day, so a year is 365 days. Risk-free rate 0;
  Sharpe uses the sample std (ddof=1), Sortino the downside deviation sqrt(mean(min(r, 0)^2)).
- CAGR compounds the total return over the period's length (first bar's open time to the last
  bar's end); Calmar is CAGR / |max drawdown|.
- Drawdown duration is the longest time under water: from the bar that set a peak to the bar
  that first regained it (or the last bar, when never regained).
- Undefined figures are 0.0, never NaN or inf: ratios with a zero denominator (no trades, no
  losing trade for the profit factor, flat equity, no drawdown for Calmar), and a CAGR that
  overflows a float (a short period annualised).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
from numba import njit

from services.engine.simulate import EngineResult

MS_PER_DAY = 86_400_000
DAYS_PER_YEAR = 365
MS_PER_YEAR = DAYS_PER_YEAR * MS_PER_DAY
"""Crypto trades around the clock, so a year is 365 full days (1m bars: 525,600 per year)."""
EXIT_REASONS = ("stop", "take_profit", "time", "signal", "end")
SIDES = ("long", "short")


def bar_ms(open_times_ms: np.ndarray) -> float:
    """The bar length: the smallest gap between consecutive open times (the engine's rule; a
    missing bar only widens some gaps). 0.0 with fewer than two bars."""
    if len(open_times_ms) < 2:
        return 0.0
    return float(np.min(np.diff(open_times_ms.astype(np.int64))))


def drawdown(equity: np.ndarray) -> np.ndarray:
    """Per-bar distance below the running peak (<= 0); the starting equity 1.0 is a peak."""
    peak = np.maximum(np.maximum.accumulate(equity), 1.0)
    result: np.ndarray = equity / peak - 1.0
    return result


def max_drawdown(equity: np.ndarray) -> float:
    """The deepest fall from a running peak, as a negative fraction (0.0 if never below one)."""
    if len(equity) == 0:
        return 0.0
    return float(_drawdown_kernel(equity.astype(np.float64), np.zeros(len(equity), np.int64))[0])


def drawdown_duration_ms(equity: np.ndarray, times_ms: np.ndarray) -> float:
    """The longest time under water in ms: from a peak's bar to the bar that regains it, or
    to the last bar if it never does. 0.0 if the equity never falls below a peak."""
    if len(equity) == 0:
        return 0.0
    return float(_drawdown_kernel(equity.astype(np.float64), times_ms.astype(np.int64))[1])


@njit(cache=True, nogil=True)
def _drawdown_kernel(equity: np.ndarray, times_ms: np.ndarray) -> tuple[float, int]:
    """(max drawdown, longest spell under water in ms) in one pass. The start (equity 1.0 at
    the first bar's open time) is the first peak, so a loss on the first bar counts."""
    peak, peak_time = 1.0, times_ms[0]
    deepest, longest = 0.0, 0
    under = False
    for i in range(len(equity)):
        value = equity[i]
        if value >= peak:
            if under:  # this bar regains the peak: the spell ends here
                longest = max(longest, times_ms[i] - peak_time)
                under = False
            peak, peak_time = value, times_ms[i]
        else:
            under = True
            deepest = min(deepest, value / peak - 1.0)
    if under:
        longest = max(longest, times_ms[len(equity) - 1] - peak_time)
    return deepest, longest


def daily_returns(equity: np.ndarray, times_ms: np.ndarray) -> np.ndarray:
    """Returns of the equity at the last bar of each UTC calendar day (see the module doc)."""
    if len(equity) == 0:
        return np.empty(0)
    days = times_ms.astype(np.int64) // MS_PER_DAY
    last_of_day = np.flatnonzero(np.diff(days) != 0)
    last_of_day = np.append(last_of_day, len(days) - 1)
    calendar = np.arange(days[0], days[-1] + 1)
    # The last observed day at or before each calendar day (days without bars stay flat).
    pick = np.searchsorted(days[last_of_day], calendar, side="right") - 1
    closes = np.concatenate(([1.0], equity[last_of_day][pick]))
    result: np.ndarray = closes[1:] / closes[:-1] - 1.0
    return result


def sharpe_ratio(daily: np.ndarray) -> float:
    """Annualised Sharpe of daily returns (sqrt(365)); 0.0 with < 2 days or no spread."""
    if len(daily) < 2:
        return 0.0
    std = float(np.std(daily, ddof=1))
    if not std > 0.0 or not math.isfinite(std):
        return 0.0
    return _finite(float(np.mean(daily)) / std * math.sqrt(DAYS_PER_YEAR))


def sortino_ratio(daily: np.ndarray) -> float:
    """Annualised Sortino of daily returns (target 0); 0.0 with no losing day."""
    if len(daily) < 2:
        return 0.0
    downside = math.sqrt(float(np.mean(np.minimum(daily, 0.0) ** 2)))
    if not downside > 0.0:
        return 0.0
    return _finite(float(np.mean(daily)) / downside * math.sqrt(DAYS_PER_YEAR))


def cagr(total_return: float, years: float) -> float:
    """Compound annual growth; -1.0 when the equity is wiped out, 0.0 when undefined."""
    if years <= 0.0:
        return 0.0
    if total_return <= -1.0:
        return -1.0
    try:
        return _finite(math.expm1(math.log1p(total_return) / years))
    except OverflowError:
        return 0.0


def trade_stats(returns: np.ndarray, bars_held: np.ndarray, step_ms: float) -> dict[str, float]:
    """Figures of one set of per-trade returns (net or gross): counts, means, profit factor.

    `expectancy` is the mean return per trade, win_rate*avg_win + (1-win_rate)*avg_loss;
    `avg_holding_ms` is mean(bars_held) bar lengths.
    """
    n = len(returns)
    wins, losses = returns[returns > 0.0], returns[returns < 0.0]
    gains, pains = float(wins.sum()), float(-losses.sum())
    mean_bars = float(np.mean(bars_held)) if n else 0.0
    return {
        "trades": float(n),
        "total_return": float(np.prod(1.0 + returns) - 1.0) if n else 0.0,
        "win_rate": len(wins) / n if n else 0.0,
        "avg_trade_return": float(np.mean(returns)) if n else 0.0,
        "expectancy": float(np.mean(returns)) if n else 0.0,
        "avg_win": float(np.mean(wins)) if len(wins) else 0.0,
        "avg_loss": float(np.mean(losses)) if len(losses) else 0.0,
        "best_trade": float(np.max(returns)) if n else 0.0,
        "worst_trade": float(np.min(returns)) if n else 0.0,
        "profit_factor": gains / pains if pains > 0.0 else 0.0,
        "avg_bars_held": mean_bars,
        "avg_holding_ms": mean_bars * step_ms,
    }


def summarize(result: EngineResult) -> dict[str, Any]:
    """The report's summary, nested and JSON-able (every value a finite float or a dict).

    Keys: bars, bar_ms, bar_minutes, periods_per_year (bars per year), start_ms, end_ms, days,
    exposure (share of bars in position), buy_hold_return (one round trip, first open to last
    close, with the run's costs), buy_hold_return_gross (raw), `with_costs` / `without_costs`
    (curve + trade figures), `long` / `short` ({with_costs, without_costs} trade figures of that
    side), and `exit_reasons` ({reason: count, share, mean_net_return, mean_gross_return,
    win_rate}; the five contract reasons always, plus any other present).
    """
    curve, trades = result.equity, result.trades
    times = curve["open_time"].dt.epoch("ms").to_numpy()
    step = bar_ms(times)
    n_bars = len(times)
    position = curve["position"].to_numpy()
    exposure = float(np.count_nonzero(position)) / n_bars if n_bars else 0.0
    span_ms = float(times[-1] - times[0]) + step if n_bars else 0.0
    fee, slippage = _cost_rates(result)
    first_open, last_close = 0.0, 0.0
    if n_bars:  # buy & hold from the first open (the first close if the frame has no open)
        first_open = float(curve["open" if "open" in curve.columns else "close"][0])
        last_close = float(curve["close"][-1])
    held = trades["bars_held"].to_numpy()
    variants: dict[str, dict[str, float]] = {}
    for name, equity_col, return_col, costs in (
        ("with_costs", "equity", "net_return", True),
        ("without_costs", "equity_gross", "gross_return", False),
    ):
        equity = curve[equity_col].to_numpy()
        figures = _curve_stats(equity, times, span_ms)
        figures.update(
            {
                k: v
                for k, v in trade_stats(trades[return_col].to_numpy(), held, step).items()
                if k != "total_return"
            }
        )
        figures["exposure"] = exposure
        figures["fees_paid"] = float(trades["fees"].sum()) if costs else 0.0
        figures["slippage_paid"] = float(trades["slippage"].sum()) if costs else 0.0
        figures["buy_hold_return"] = _buy_hold(
            first_open, last_close, fee if costs else 0.0, slippage if costs else 0.0
        )
        variants[name] = figures
    return {
        "bars": float(n_bars),
        "bar_ms": step,
        "bar_minutes": step / 60_000.0,
        "periods_per_year": MS_PER_YEAR / step if step > 0 else 0.0,
        "start_ms": float(times[0]) if n_bars else 0.0,
        "end_ms": float(times[-1]) + step if n_bars else 0.0,
        "days": span_ms / MS_PER_DAY,
        "exposure": exposure,
        "buy_hold_return": variants["with_costs"]["buy_hold_return"],
        "buy_hold_return_gross": variants["without_costs"]["buy_hold_return"],
        **variants,
        **{side: _side_stats(trades, side, step) for side in SIDES},
        "exit_reasons": exit_reason_table(trades),
    }


def exit_reason_table(trades: pl.DataFrame) -> dict[str, dict[str, float]]:
    """Per exit reason: count, share of trades, mean net and gross return, win rate (net)."""
    groups = trades.group_by("exit_reason").agg(
        pl.len().alias("count"),
        pl.col("net_return").mean().alias("mean_net_return"),
        pl.col("gross_return").mean().alias("mean_gross_return"),
        (pl.col("net_return") > 0.0).mean().alias("win_rate"),
    )
    found = {row.pop("exit_reason"): row for row in groups.to_dicts()}
    total = trades.height
    table: dict[str, dict[str, float]] = {}
    for reason in (*EXIT_REASONS, *sorted(set(found) - set(EXIT_REASONS))):
        row = found.get(reason)
        count = int(row["count"]) if row else 0
        table[reason] = {
            "count": float(count),
            "share": count / total if total else 0.0,
            "mean_net_return": float(row["mean_net_return"]) if row else 0.0,
            "mean_gross_return": float(row["mean_gross_return"]) if row else 0.0,
            "win_rate": float(row["win_rate"]) if row else 0.0,
        }
    return table


def flatten(summary: dict[str, Any]) -> dict[str, float]:
    """The nested summary as one str -> float map (the gRPC `map<string, double>`).

    With-costs figures keep the seed's key names (total_return, sharpe, max_drawdown, win_rate,
    trades, avg_trade_return, exposure, buy_hold_return, fees_paid, slippage_paid, ...); the
    same figures without costs end in `_gross`; per side `long_<key>` / `short_<key>` (and
    `_gross`); per exit reason `exit_<reason>_<key>`; closed_at_end = trades ended by the data.
    """
    flat: dict[str, float] = {k: float(v) for k, v in summary.items() if not isinstance(v, dict)}
    for key, value in summary["with_costs"].items():
        flat[key] = float(value)
    for key, value in summary["without_costs"].items():
        flat[f"{key}_gross"] = float(value)
    for side in SIDES:
        for key, value in summary[side]["with_costs"].items():
            flat[f"{side}_{key}"] = float(value)
        for key, value in summary[side]["without_costs"].items():
            flat[f"{side}_{key}_gross"] = float(value)
    for reason, row in summary["exit_reasons"].items():
        for key, value in row.items():
            flat[f"exit_{reason}_{key}"] = float(value)
    flat["closed_at_end"] = float(summary["exit_reasons"]["end"]["count"])
    return flat


def flat_summary(result: EngineResult) -> dict[str, float]:
    """`flatten(summarize(result))`."""
    return flatten(summarize(result))


def _curve_stats(equity: np.ndarray, times_ms: np.ndarray, span_ms: float) -> dict[str, float]:
    if len(equity) == 0:
        return dict.fromkeys(_CURVE_KEYS, 0.0)
    total = float(equity[-1] - 1.0)
    daily = daily_returns(equity, times_ms)
    growth = cagr(total, span_ms / MS_PER_YEAR)
    deepest, under = _drawdown_kernel(equity.astype(np.float64), times_ms.astype(np.int64))
    under_ms = float(under)
    return {
        "total_return": total,
        "cagr": growth,
        "sharpe": sharpe_ratio(daily),
        "sortino": sortino_ratio(daily),
        "calmar": _finite(growth / -deepest) if deepest < 0.0 else 0.0,
        "max_drawdown": deepest,
        "max_drawdown_duration_ms": under_ms,
        "max_drawdown_duration_days": under_ms / MS_PER_DAY,
    }


_CURVE_KEYS = (
    "total_return",
    "cagr",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown",
    "max_drawdown_duration_ms",
    "max_drawdown_duration_days",
)


def _side_stats(trades: pl.DataFrame, side: str, step_ms: float) -> dict[str, dict[str, float]]:
    rows = trades.filter(pl.col("side") == side)
    held = rows["bars_held"].to_numpy()
    return {
        "with_costs": {
            **trade_stats(rows["net_return"].to_numpy(), held, step_ms),
            "fees_paid": float(rows["fees"].sum()),
            "slippage_paid": float(rows["slippage"].sum()),
        },
        "without_costs": {
            **trade_stats(rows["gross_return"].to_numpy(), held, step_ms),
            "fees_paid": 0.0,
            "slippage_paid": 0.0,
        },
    }


def _buy_hold(first_open: float, last_close: float, fee: float, slippage: float) -> float:
    """Long from the first open to the last close, filled and charged as contract rule 6."""
    if not first_open > 0.0:
        return 0.0
    entry, exit_ = first_open * (1.0 + slippage), last_close * (1.0 - slippage)
    ratio = exit_ / entry
    return _finite(ratio - 1.0 - fee * (1.0 + ratio))


def _cost_rates(result: EngineResult) -> tuple[float, float]:
    """(fee, slippage) per side as fractions, from the run's rule."""
    return result.rule.fee, result.rule.slippage


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 0.0
