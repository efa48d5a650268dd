"""The engine's front door: frames in, trades and equity out, for either rule.

`simulate` runs the EV rule (docs/backtest.md) through the numba kernel; `simulate_threshold`
runs the fixed-hold rule (services.engine.fixed_hold) and reports it in the same shapes, so
metrics and reports read one result type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from services.engine import fixed_hold
from services.engine.inputs import Bars, Detail, Signals, read_bars, read_detail, read_signals
from services.engine.kernel import EXIT_REASONS, RawTrades, run_kernel
from services.engine.rule import ON_OPPOSITE_CODES, EvRule, Rule, ThresholdRule

TIME = pl.Datetime("ms", "UTC")
TRADE_SCHEMA: dict[str, pl.DataType] = {
    "side": pl.Utf8(),
    "signal_time": TIME,
    "entry_time": TIME,
    "exit_time": TIME,
    "probability": pl.Float64(),
    "expected_value": pl.Float64(),
    "entry_price": pl.Float64(),
    "exit_price": pl.Float64(),
    "take_profit": pl.Float64(),
    "stop_loss": pl.Float64(),
    "entry_fill": pl.Float64(),
    "exit_fill": pl.Float64(),
    "exit_reason": pl.Utf8(),
    "net_return": pl.Float64(),
    "gross_return": pl.Float64(),
    "fees": pl.Float64(),
    "slippage": pl.Float64(),
    "bars_held": pl.Int64(),
}
"""One row per closed trade, in time order. Times are the open_time of the bar that decided
(signal), and of the bars whose price filled the entry and the exit (an exit resolved by detail
bars: the signal-timeframe bar that holds them). Prices are raw, fills include slippage.
`net_return` is rule 6 of the contract; `gross_return` the same trade on raw prices without
fees; `fees` is f(1 + X'/E') and `slippage` what slippage cost, both in return units."""
EQUITY_SCHEMA: dict[str, pl.DataType] = {
    "open_time": TIME,
    "open": pl.Float64(),
    "close": pl.Float64(),
    "equity": pl.Float64(),
    "equity_gross": pl.Float64(),
    "position": pl.Int8(),
}
"""One row per bar, as of its close: equity net of costs (1.0 at the start, realised trades
compounded, an open position marked at the close with its entry fee paid), equity_gross (the
same trades on raw prices, no costs) and the position held (1 long, -1 short, 0 flat; a
position closed out at the end of the data counts as held on the last bar)."""


SIDE_NAMES = pl.Series(["long", "short"])
REASON_NAMES = pl.Series(EXIT_REASONS)


@dataclass(frozen=True)
class EngineResult:
    trades: pl.DataFrame
    equity: pl.DataFrame
    rule: Rule

    @property
    def final_equity(self) -> float:
        return float(self.equity["equity"][-1])


def simulate(
    bars: pl.DataFrame,
    signals: pl.DataFrame,
    rule: EvRule,
    detail: pl.DataFrame | None = None,
    *,
    bar_ms: int | None = None,
) -> EngineResult:
    """Run the EV rule.

    Args:
        bars: open_time (Datetime or Unix ms), open, high, low, close; strictly increasing.
        signals: open_time (a bar's), p_long, p_short, atr (price units); nulls = no signal.
        rule: the EV rule.
        detail: optional 1m bars (same columns) for bars whose range holds both levels.
        bar_ms: the bars' length, which places detail bars in them (default: the smallest
            gap between bars; give it when known, see inputs.read_detail).

    Raises:
        InvalidInput: a missing or bad column, unsorted or inconsistent bars, a probability
            outside [0, 1], or a signal for a bar that does not exist (row and column named).
    """
    checked = read_bars(bars)
    raw = simulate_arrays(
        checked, read_signals(signals, checked), rule, read_detail(detail, checked, bar_ms)
    )
    return result_frames(checked, raw, rule)


def simulate_arrays(bars: Bars, signals: Signals, rule: EvRule, detail: Detail) -> RawTrades:
    """The kernel on validated arrays: what a caller running many rules on one data set (the
    tuner) calls, to validate once."""
    return run_kernel(
        bars.open,
        bars.high,
        bars.low,
        bars.close,
        signals.bar,
        signals.p_long,
        signals.p_short,
        signals.atr,
        detail.first,
        detail.last,
        detail.open,
        detail.high,
        detail.low,
        rule.k_tp,
        rule.k_sl,
        rule.ev_margin,
        rule.fee,
        rule.slippage,
        rule.max_hold_bars,
        ON_OPPOSITE_CODES[rule.on_opposite],
        rule.allows_long,
        rule.allows_short,
        np.empty(len(bars)),
        np.empty(len(bars)),
        np.empty(len(bars), np.int8),
    )


def result_frames(bars: Bars, raw: RawTrades, rule: EvRule) -> EngineResult:
    """The kernel's arrays as the trades and equity frames."""
    times = bars.times_ms
    slippage = raw.gross_return - raw.net_return - raw.fees
    columns: dict[str, Any] = {
        # A gather from the names: numpy string arrays are ~20x slower to hand to polars.
        "side": SIDE_NAMES.gather((raw.side < 0).astype(np.uint32)),
        "signal_time": _times(times[raw.signal_bar]),
        "entry_time": _times(times[raw.entry_bar]),
        "exit_time": _times(times[raw.exit_bar]),
        "probability": raw.probability,
        "expected_value": raw.expected_value,
        "entry_price": raw.entry_price,
        "exit_price": raw.exit_price,
        "take_profit": raw.take_profit,
        "stop_loss": raw.stop_loss,
        "entry_fill": raw.entry_fill,
        "exit_fill": raw.exit_fill,
        "exit_reason": REASON_NAMES.gather(raw.exit_reason.astype(np.uint32)),
        "net_return": raw.net_return,
        "gross_return": raw.gross_return,
        "fees": raw.fees,
        "slippage": slippage,
        "bars_held": raw.bars_held,
    }
    trades = pl.DataFrame([pl.Series(name, values) for name, values in columns.items()])
    equity = _equity_frame(bars, raw.equity, raw.equity_gross, raw.position)
    return EngineResult(trades=trades, equity=equity, rule=rule)


def _times(ms: npt.NDArray[np.int64]) -> pl.Series:
    return pl.Series(ms, dtype=pl.Int64).cast(TIME)


def _equity_frame(
    bars: Bars,
    equity: npt.NDArray[np.float64],
    equity_gross: npt.NDArray[np.float64],
    position: npt.NDArray[np.int8],
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "open_time": bars.times_ms,
            "open": bars.open,
            "close": bars.close,
            "equity": equity,
            "equity_gross": equity_gross,
            "position": position,
        },
        schema_overrides={"open_time": pl.Int64},
    ).cast(EQUITY_SCHEMA)  # type: ignore[arg-type]


def simulate_threshold(
    bars: pl.DataFrame, probabilities: npt.ArrayLike, rule: ThresholdRule
) -> EngineResult:
    """The fixed-hold rule (long only, P(up) >= threshold, hold `holding_bars`), its trades and
    net equity exactly as services.engine.fixed_hold computes them, in the engine's shapes.
    Gross figures come from the same rule without costs: costs do not change its trades."""
    net = fixed_hold.simulate(bars, probabilities, rule)
    free = ThresholdRule(rule.threshold, rule.holding_bars, 0.0, 0.0)
    gross = fixed_hold.simulate(bars, probabilities, free)
    # In this mode costs move the fill prices; the fee's share is f(1 + X/E) in return units,
    # like the EV rule's, and slippage is the rest of what costs took.
    fees = pl.lit(rule.fee) * (1.0 + pl.col("exit_price") / pl.col("entry_price"))
    trades = net.trades.select(
        pl.lit("long").alias("side"),
        "signal_time",
        "entry_time",
        "exit_time",
        "probability",
        pl.lit(None, pl.Float64).alias("expected_value"),
        "entry_price",
        "exit_price",
        pl.lit(None, pl.Float64).alias("take_profit"),
        pl.lit(None, pl.Float64).alias("stop_loss"),
        "entry_fill",
        "exit_fill",
        pl.when("closed_at_end").then(pl.lit("end")).otherwise(pl.lit("time")).alias("exit_reason"),
        "net_return",
        "gross_return",
        fees.alias("fees"),
        (pl.col("gross_return") - pl.col("net_return") - fees).alias("slippage"),
        "bars_held",
    )
    equity = net.equity.select(
        pl.col("open_time").cast(TIME),
        "open",
        "close",
        "equity",
        equity_gross=gross.equity["equity"],
        position=pl.col("in_position").cast(pl.Int8),
    )
    return EngineResult(trades=trades.cast(TRADE_SCHEMA), equity=equity, rule=rule)  # type: ignore[arg-type]
