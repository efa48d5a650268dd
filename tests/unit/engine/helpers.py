"""Builders and comparisons shared by the engine's verification tests."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import polars as pl

from services.engine.rule import EvRule
from services.engine.simulate import EngineResult, simulate
from tests.unit.engine.reference import RefResult, reference_simulate

MINUTE_MS = 60_000
BAR_MS = 15 * MINUTE_MS
TIME = pl.Datetime("ms", "UTC")
FLOAT_TOL = 1e-9

TRADE_COLUMNS = (
    "side",
    "signal_time",
    "entry_time",
    "exit_time",
    "probability",
    "expected_value",
    "entry_price",
    "exit_price",
    "take_profit",
    "stop_loss",
    "entry_fill",
    "exit_fill",
    "exit_reason",
    "net_return",
    "gross_return",
    "fees",
    "slippage",
    "bars_held",
)

Bar = tuple[float, float, float, float]  # open, high, low, close


def make_bars(
    rows: Sequence[Bar], index: Sequence[int] | None = None, step_ms: int = BAR_MS
) -> pl.DataFrame:
    """Bars at open_time = index[i] * step_ms (default: 0, 1, 2, ...: no gaps)."""
    idx = list(range(len(rows))) if index is None else list(index)
    return pl.DataFrame(
        {
            "open_time": pl.Series([i * step_ms for i in idx], dtype=pl.Int64).cast(TIME),
            "open": [float(r[0]) for r in rows],
            "high": [float(r[1]) for r in rows],
            "low": [float(r[2]) for r in rows],
            "close": [float(r[3]) for r in rows],
        }
    )


def make_signals(
    rows: Sequence[tuple[int, float | None, float | None, float | None]], step_ms: int = BAR_MS
) -> pl.DataFrame:
    """Signals (bar index, p_long, p_short, atr) at open_time = index * step_ms."""
    return pl.DataFrame(
        {
            "open_time": pl.Series([r[0] * step_ms for r in rows], dtype=pl.Int64).cast(TIME),
            "p_long": pl.Series([r[1] for r in rows], dtype=pl.Float64),
            "p_short": pl.Series([r[2] for r in rows], dtype=pl.Float64),
            "atr": pl.Series([r[3] for r in rows], dtype=pl.Float64),
        }
    )


def make_detail(bar_index: int, rows: Sequence[tuple[int, Bar]]) -> pl.DataFrame:
    """1m detail bars (minute offset inside the signal bar, bar) of signal bar `bar_index`."""
    return make_bars(
        [r[1] for r in rows],
        [bar_index * (BAR_MS // MINUTE_MS) + r[0] for r in rows],
        step_ms=MINUTE_MS,
    )


def rule(**kwargs: Any) -> EvRule:
    """An EvRule with no costs and a long max hold unless told otherwise."""
    base: dict[str, Any] = {
        "k_tp": 2.0,
        "k_sl": 1.0,
        "ev_margin": 0.0,
        "fee_bps": 0.0,
        "slippage_bps": 0.0,
        "max_hold_bars": 60,
        "on_opposite": "flip",
        "sides": "both",
    }
    base.update(kwargs)
    return EvRule(**base)


def engine_trades(result: EngineResult) -> list[dict[str, Any]]:
    return result.trades.select(TRADE_COLUMNS).to_dicts()


def final_equity(result: EngineResult) -> float:
    return float(result.equity["equity"][-1])


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=FLOAT_TOL, abs_tol=FLOAT_TOL)
    return bool(a == b)


def diff_trades(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> list[str]:
    """Every difference between two trade lists (all TRADE_COLUMNS; floats to 1e-9)."""
    problems = []
    if len(got) != len(want):
        problems.append(f"{len(got)} trades, expected {len(want)}")
    for i, (g, w) in enumerate(zip(got, want, strict=False)):
        for col in TRADE_COLUMNS:
            if not _same(g[col], w[col]):
                problems.append(f"trade {i} {col}: engine {g[col]!r}, reference {w[col]!r}")
    return problems


def assert_agree(
    engine: EngineResult, ref: RefResult, context: str = "", check_equity_path: bool = True
) -> None:
    """Engine and reference agree trade by trade and in final equity (1e-9), and bar by bar in
    position and equity (closed trades compounded, an open position marked at the close)."""
    problems = diff_trades(engine_trades(engine), ref.trades)
    if not math.isclose(final_equity(engine), ref.equity, rel_tol=FLOAT_TOL, abs_tol=FLOAT_TOL):
        problems.append(f"final equity: engine {final_equity(engine)}, reference {ref.equity}")
    if check_equity_path and not problems:
        eq = engine.equity["equity"].to_list()
        pos = engine.equity["position"].to_list()
        if len(eq) != len(ref.realised):
            problems.append(f"equity rows {len(eq)}, bars {len(ref.realised)}")
        else:
            for j in range(len(eq)):
                if pos[j] != ref.position[j]:
                    problems.append(f"bar {j} position: engine {pos[j]}, ref {ref.position[j]}")
                elif not math.isclose(eq[j], ref.realised[j], rel_tol=FLOAT_TOL):
                    problems.append(f"bar {j} equity: engine {eq[j]}, ref {ref.realised[j]}")
    assert not problems, context + "\n" + "\n".join(problems[:20])


def run_both(
    bars: pl.DataFrame, signals: pl.DataFrame, rule_: EvRule, detail: pl.DataFrame | None = None
) -> tuple[EngineResult, RefResult]:
    return simulate(bars, signals, rule_, detail), reference_simulate(bars, signals, rule_, detail)


def check_case(
    bars: pl.DataFrame,
    signals: pl.DataFrame,
    rule_: EvRule,
    expected: list[dict[str, Any]],
    detail: pl.DataFrame | None = None,
) -> tuple[EngineResult, RefResult]:
    """The hand-computed `expected` trades (bar indices for the *_time keys, any subset of the
    columns) hold for the reference and for the engine; then the two agree on everything."""
    times = bars["open_time"].to_list()
    want = [
        {k: (times[v] if k.endswith("_time") else v) for k, v in trade.items()}
        for trade in expected
    ]
    engine, ref = run_both(bars, signals, rule_, detail)
    for name, got in (("reference", ref.trades), ("engine", engine_trades(engine))):
        assert len(got) == len(want), f"{name}: {got}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            bad = {k: (g[k], v) for k, v in w.items() if not _same(g[k], v)}
            assert not bad, f"{name} trade {i}: (got, expected) {bad}"
    assert_agree(engine, ref)
    return engine, ref
