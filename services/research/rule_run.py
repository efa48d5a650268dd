"""Run the chosen rule on a model's period: the engine's result and what model quality needs.

Both modes go through services.engine, the one implementation: the EV rule on the model's
timeframe with 1m detail, the threshold rule on the 1m rows as it always ran.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from services.engine.gate import gate_sides
from services.engine.rule import EvRule, Rule
from services.engine.simulate import EngineResult, simulate, simulate_threshold
from services.research.gates import Gates
from services.research.signals import TIME, SignalPlan, engine_inputs

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RuleRun:
    result: EngineResult
    timeframe: str
    labels: FloatArray
    """Per signal bar, the label (NaN where unknown) ..."""
    probabilities: FloatArray
    """... the model's probability ..."""
    fired: npt.NDArray[np.bool_]
    """... and whether the rule's gate fired on it."""


def run_rule(
    rows: pl.DataFrame,
    probabilities: FloatArray,
    plan: SignalPlan,
    rule: Rule,
    gates: Gates | None = None,
) -> RuleRun:
    """The rule over the period's 1m dataset rows (sorted; prices, features, label); the EV
    rule's signals pass the gates first (the threshold mode has none)."""
    labels = rows.get_column("label").cast(pl.Float64).fill_null(np.nan).to_numpy()
    if not isinstance(rule, EvRule):
        bars = rows.select(TIME, "open", "high", "low", "close")
        result = simulate_threshold(bars, probabilities, rule)
        return RuleRun(result, "1m", labels, probabilities, probabilities >= rule.threshold)
    inputs = engine_inputs(rows, probabilities, plan, gates)
    result = simulate(
        inputs.bars, inputs.signals, rule, inputs.detail, bar_ms=plan.minutes * 60_000
    )
    signal_rows = inputs.signal_rows
    p = signal_rows.get_column("probability").to_numpy()
    none = np.full(len(p), np.nan)
    p_long, p_short = (p, none) if plan.side == "long" else (none, p)
    sides = gate_sides(
        p_long,
        p_short,
        signal_rows.get_column("atr").fill_null(np.nan).to_numpy(),
        signal_rows.get_column("close").to_numpy(),
        rule,
    )
    return RuleRun(
        result=result,
        timeframe=plan.timeframe,
        labels=signal_rows.get_column("label").fill_null(np.nan).to_numpy(),
        probabilities=p,
        fired=sides != 0,
    )
