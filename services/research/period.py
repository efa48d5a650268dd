"""A model traded over a period of its dataset's rows: the one path from rows to the engine's
result that backtests and the tuner's holdout figures share, so that a tuned trial's holdout
figures and `trady backtest --from-tuning` of it are the same numbers."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt
import polars as pl

from services.engine.rule import Rule
from services.research.gates import Gates
from services.research.rule_run import RuleRun, run_rule
from services.research.signals import SignalPlan

TIME = "open_time"


class Predicts(Protocol):
    @property
    def feature_names(self) -> list[str]: ...
    def predict_proba(self, matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...


def restrict(frame: pl.DataFrame, start_ms: int, end_ms: int) -> pl.DataFrame:
    """Rows with open_time in [start_ms, end_ms); a zero bound is unbounded."""
    ms = pl.col(TIME).dt.epoch("ms")
    if start_ms:
        frame = frame.filter(ms >= start_ms)
    if end_ms:
        frame = frame.filter(ms < end_ms)
    return frame


def trade_period(
    rows: pl.DataFrame, model: Predicts, plan: SignalPlan, rule: Rule, gates: Gates | None
) -> tuple[RuleRun, npt.NDArray[np.float64]]:
    """(the rule's run, the model's probability per row) over sorted dataset rows."""
    matrix = rows.select(model.feature_names).cast(pl.Float64).to_numpy()
    probabilities = model.predict_proba(matrix)
    return run_rule(rows, probabilities, plan, rule, gates), probabilities
