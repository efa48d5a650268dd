"""The `backtest` section of the ML config file (configs/ml.example.yaml): the trading rule.

Only this section is parsed here; the other sections belong to other services. Unknown keys
are rejected so a typo fails loudly instead of silently running with a default.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.common.errors import InvalidInput
from services.common.ml_config import read_sections
from services.research.gates import RegimeGate, TrendGate

Mode = Literal["ev", "threshold"]


class BacktestConfig(BaseModel):
    """Defaults for a backtest run; a request may override any of them.

    `mode: ev` runs the EV engine's rule (docs/backtest.md) with k_tp, k_sl, ev_margin,
    max_hold_bars, on_opposite and sides; `mode: threshold` the original long-only rule with
    threshold and holding_bars. Costs apply to both. A `None` holding period means "the
    model's label horizon", in bars of the signal timeframe. The EV rule's signals pass the
    gates (research/gates.py; off when None) first.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Mode = "ev"
    fee_bps: float = Field(default=5.5, ge=0.0)
    slippage_bps: float = Field(default=1.0, ge=0.0)
    k_tp: float = Field(default=2.0, gt=0.0)
    k_sl: float = Field(default=1.0, gt=0.0)
    ev_margin: float = 0.0
    max_hold_bars: int | None = Field(default=None, ge=1)
    on_opposite: Literal["flip", "close", "ignore"] = "flip"
    sides: Literal["long", "short", "both"] = "both"
    threshold: float = Field(default=0.55, gt=0.0, le=1.0)
    holding_bars: int | None = Field(default=None, ge=1)
    trend_gate: TrendGate | None = None
    regime_gate: RegimeGate | None = None


def parse_backtest_config(yaml_text: str) -> BacktestConfig:
    """Parse the `backtest` section of an ML config document (a missing section gives defaults).

    Raises:
        InvalidInput: the YAML is malformed or the section has unknown keys or bad values.
    """
    document = read_sections(yaml_text)
    section = document.get("backtest") or {}
    if not isinstance(section, dict):
        raise InvalidInput("the `backtest` section of the ML config must be a mapping")
    try:
        return BacktestConfig.model_validate(section)
    except ValidationError as exc:
        raise InvalidInput(f"invalid `backtest` config: {exc}") from exc
