"""Which rule a backtest runs: the configured one, with what the request overrides.

The request's overrides are a mapping of the config section's keys (the EV rule's keys, `mode`,
and the threshold mode's keys); an unknown key is refused. Unset holding periods follow the
model's label horizon, so a trade lasts what the model was trained to predict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from services.backtester.domain.config import BacktestConfig
from services.common.errors import InvalidInput
from services.engine.rule import EvRule, Rule, ThresholdRule


def resolve_rule(
    config: BacktestConfig,
    overrides: Mapping[str, Any],
    *,
    horizon_bars: int,
    model_threshold: float,
) -> Rule:
    """The rule to run.

    Args:
        config: the server's `backtest` section.
        overrides: the request's keys (may be empty); `None` values are ignored.
        horizon_bars: the model's label horizon in signal-timeframe bars (0 if unknown).
        model_threshold: the threshold recorded with the model (0 if none), which the
            threshold mode prefers to the configured one.

    Raises:
        InvalidInput: an unknown key or a bad value (named), or no holding period to use.
    """
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        merged = BacktestConfig.model_validate({**config.model_dump(), **given})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise InvalidInput(f"invalid trading rule: {problems}") from exc
    if merged.mode == "threshold":
        hold = merged.holding_bars or horizon_bars
        if hold < 1:
            raise InvalidInput("the model records no label horizon: pass holding_bars")
        threshold = given.get("threshold") or model_threshold or merged.threshold
        return ThresholdRule(threshold, hold, merged.fee_bps, merged.slippage_bps)
    keys = merged.model_dump(include=set(EvRule.model_fields))
    keys["max_hold_bars"] = merged.max_hold_bars or horizon_bars
    if keys["max_hold_bars"] < 1:
        raise InvalidInput("the model records no label horizon: pass max_hold_bars")
    return EvRule.from_mapping(keys, source="trading rule")
