"""EngineResult-shaped frames built by hand: given bars and the trades to take, replay them with
the contract's fills and costs (rule 6) so the metrics, robustness and report tests need no
engine run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from services.engine.rule import EvRule
from services.engine.simulate import TRADE_SCHEMA, EngineResult

MINUTE_MS = 60_000
TIME = pl.Datetime("ms", "UTC")
START_MS = 1_735_689_600_000  # 2025-01-01 00:00 UTC


def rule_with(fee_bps: float = 0.0, slippage_bps: float = 0.0) -> EvRule:
    return EvRule(k_tp=2.0, k_sl=1.0, fee_bps=fee_bps, slippage_bps=slippage_bps)


@dataclass(frozen=True)
class Trade:
    """Entry at the open of bar `entry`; exit at bar `exit` at `price` (default: its open)."""

    side: str
    entry: int
    exit: int
    reason: str = "time"
    price: float | None = None
    at_open: bool = True


def replay(
    opens: Sequence[float],
    closes: Sequence[float],
    trades: Sequence[Trade],
    rule: EvRule | None = None,
    step_ms: int = MINUTE_MS,
    times_ms: Sequence[int] | None = None,
) -> EngineResult:
    rule = rule or rule_with()
    f, s = rule.fee, rule.slippage
    o, c = np.asarray(opens, float), np.asarray(closes, float)
    n = len(o)
    t = (
        np.asarray(times_ms, np.int64)
        if times_ms is not None
        else START_MS + np.arange(n) * step_ms
    )
    equity, gross_eq, position = np.ones(n), np.ones(n), np.zeros(n, np.int8)
    rows: list[dict[str, Any]] = []
    net_level = gross_level = 1.0
    cursor = 0
    for tr in trades:
        sign = 1.0 if tr.side == "long" else -1.0
        equity[cursor : tr.entry] = net_level
        gross_eq[cursor : tr.entry] = gross_level
        e = o[tr.entry]
        x = tr.price if tr.price is not None else (o[tr.exit] if tr.at_open else c[tr.exit])
        slip = 0.0 if tr.reason == "take_profit" else s
        ef, xf = e * (1 + sign * s), x * (1 - sign * slip)
        ratio = xf / ef
        net = sign * (ratio - 1.0) - f * (1.0 + ratio)
        gross = sign * (x / e - 1.0)
        held_to = tr.exit if tr.at_open else tr.exit + 1  # bars held at their close
        for j in range(tr.entry, held_to):
            mark = sign * (c[j] / ef - 1.0)
            equity[j] = net_level * (1.0 + mark)
            gross_eq[j] = gross_level * (1.0 + sign * (c[j] / e - 1.0))
            position[j] = int(sign)
        net_level *= 1.0 + net
        gross_level *= 1.0 + gross
        cursor = held_to
        rows.append(
            {
                "side": tr.side,
                "signal_time": int(t[tr.entry - 1]) if tr.entry > 0 else int(t[0]),
                "entry_time": int(t[tr.entry]),
                "exit_time": int(t[tr.exit]),
                "probability": 0.6,
                "expected_value": 0.001,
                "entry_price": e,
                "exit_price": x,
                "take_profit": e * (1 + sign * 0.01),
                "stop_loss": e * (1 - sign * 0.01),
                "entry_fill": ef,
                "exit_fill": xf,
                "exit_reason": tr.reason,
                "net_return": net,
                "gross_return": gross,
                "fees": f * (1.0 + ratio),
                "slippage": gross - net - f * (1.0 + ratio),
                "bars_held": held_to - tr.entry,
            }
        )
    equity[cursor:] = net_level
    gross_eq[cursor:] = gross_level
    curve = pl.DataFrame(
        {
            "open_time": pl.Series(t).cast(TIME),
            "open": o,
            "close": c,
            "equity": equity,
            "equity_gross": gross_eq,
            "position": pl.Series(position, dtype=pl.Int8),
        }
    )
    return EngineResult(trades=trade_frame(rows), equity=curve, rule=rule)


def trade_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame(schema=TRADE_SCHEMA)
    frame = pl.DataFrame(rows)
    return frame.with_columns(
        pl.col(name).cast(pl.Int64).cast(TIME)
        for name in ("signal_time", "entry_time", "exit_time")
    ).select(pl.col(name).cast(dtype) for name, dtype in TRADE_SCHEMA.items())


def random_walk_result(
    n: int, trade_every: int = 40, hold: int = 12, seed: int = 7, rule: EvRule | None = None
) -> EngineResult:
    """A long run: a random walk with a trade every `trade_every` bars (alternating sides)."""
    rng = np.random.default_rng(seed)
    close = 60_000 * np.exp(np.cumsum(rng.normal(0, 0.0008, n)))
    open_ = np.concatenate(([close[0]], close[:-1]))
    entries = np.arange(1, n - hold - 1, trade_every)
    reasons = np.array(["stop", "take_profit", "time", "signal"])[rng.integers(0, 4, len(entries))]
    trades = [
        Trade("long" if k % 2 == 0 else "short", int(e), int(e + hold), str(r))
        for k, (e, r) in enumerate(zip(entries, reasons, strict=True))
    ]
    return replay(open_, close, trades, rule or rule_with(5.5, 1.0))
