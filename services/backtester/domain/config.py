"""The `backtest` section of the ML config file (configs/ml.example.yaml): the trading rule.

Only this section is parsed here; the other sections belong to other services. Unknown keys
are rejected so a typo fails loudly instead of silently running with a default.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.common.errors import InvalidInput
from services.common.ml_config import read_sections


class BacktestConfig(BaseModel):
    """Defaults for a backtest run; a request may override threshold, holding_bars and fee_bps.

    `holding_bars` of None means "the model's label horizon", which keeps the trade length equal
    to what the model was trained to predict.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float = Field(default=0.55, gt=0.0, le=1.0)
    holding_bars: int | None = Field(default=None, ge=1)
    fee_bps: float = Field(default=5.5, ge=0.0)
    slippage_bps: float = Field(default=1.0, ge=0.0)


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
