"""The `tuning` section of the ML config: folds, holdout, calibration, score and search space.

Search-space entries (under `space.<group>.<key>`) take one of three forms:
    key: 0.05                         fixed
    key: [flip, close]                one of these (categorical)
    key: {low: 0.01, high: 0.2, log: true[, step: ...]}   a range (integers when low and
                                      high are both integers)
Groups: `model` (LightGBM params, plus num_boost_round / early_stopping_rounds), `label` (the
config label's own keys: forward-return horizon_steps / return_threshold, or the pullback's
touch_ema, trend_timeframe, k_tp, k_sl, horizon_bars, ...), `rule` (the EV rule: ev_margin,
max_hold_bars, on_opposite, sides, k_tp, k_sl), and the gates `trend_gate` / `regime_gate`
(a trial switches a gate on or off; its keys are then sampled; `null` keeps the gate off).
A group the file leaves out takes the defaults below; the label defaults follow its kind.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from services.common.errors import InvalidInput
from services.common.ml_config import read_sections
from services.research.calibration import Method

Spec = Any
"""A fixed value, a list of choices, or {low, high[, log, step]}."""

DEFAULT_MODEL_SPACE: dict[str, Spec] = {
    "learning_rate": {"low": 0.02, "high": 0.2, "log": True},
    "num_leaves": {"low": 7, "high": 63, "log": True},
    "min_data_in_leaf": {"low": 50, "high": 800, "log": True},
    "feature_fraction": {"low": 0.5, "high": 1.0},
    "bagging_fraction": {"low": 0.5, "high": 1.0},
    "lambda_l1": {"low": 1e-4, "high": 10.0, "log": True},
    "lambda_l2": {"low": 1e-4, "high": 10.0, "log": True},
}
DEFAULT_LABEL_SPACE: dict[str, dict[str, Spec]] = {
    "forward_return": {
        "horizon_steps": {"low": 5, "high": 60, "log": True},
        "return_threshold": {"low": 0.0005, "high": 0.005, "log": True},
    },
    "ema_pullback": {
        "touch_ema": [9, 21, 50],
        "trend_timeframe": ["1h", "4h"],
        "k_tp": {"low": 1.0, "high": 3.0},
        "k_sl": {"low": 0.5, "high": 2.0},
        "horizon_bars": {"low": 6, "high": 48, "log": True},
    },
}
DEFAULT_RULE_SPACE: dict[str, dict[str, Spec]] = {
    # The forward-return label says nothing about levels: the rule's own are tuned.
    "forward_return": {
        "k_tp": {"low": 1.0, "high": 6.0},
        "k_sl": {"low": 0.5, "high": 4.0},
        "ev_margin": {"low": 0.0, "high": 0.0005},
        "max_hold_bars": {"low": 5, "high": 120, "log": True},
    },
    # The pullback label's k_tp / k_sl are the rule's (what it learned is what it trades).
    "ema_pullback": {
        "ev_margin": {"low": 0.0, "high": 0.0005},
        "max_hold_bars": {"low": 6, "high": 48, "log": True},
    },
}
DEFAULT_TREND_GATE: dict[str, Spec] = {"timeframe": ["1h", "4h"], "fast": 21, "slow": 50}
DEFAULT_REGIME_GATE: dict[str, Spec] = {
    "timeframe": ["1h"],
    "adx_period": 14,
    "adx_min": {"low": 15.0, "high": 35.0},
}


class ScoreConfig(BaseModel):
    """Trial score = mean(s_k) - penalty_lambda * std(s_k) over the folds, where fold k's
    s_k = its `metric` minus trade_penalty * max(0, 1 - trades_k / min_trades)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: Literal["sharpe", "return_over_drawdown", "total_return"] = "sharpe"
    penalty_lambda: float = Field(default=0.5, ge=0.0)
    min_trades: int = Field(default=5, ge=0)
    trade_penalty: float = Field(default=1.0, ge=0.0)


class SpaceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: dict[str, Spec] | None = None
    label: dict[str, Spec] | None = None
    rule: dict[str, Spec] | None = None
    trend_gate: dict[str, Spec] | None = Field(default_factory=lambda: dict(DEFAULT_TREND_GATE))
    regime_gate: dict[str, Spec] | None = Field(default_factory=lambda: dict(DEFAULT_REGIME_GATE))


class TuningConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    folds: int = Field(default=3, ge=1, le=20)
    holdout_share: float = Field(default=0.2, gt=0.0, lt=0.9)
    holdout_start: str | None = None
    """ISO 8601 (UTC unless it says otherwise); wins over holdout_share."""
    min_train_share: float = Field(default=0.4, gt=0.0, lt=1.0)
    window: Literal["expanding", "rolling"] = "expanding"
    embargo_share: float = Field(default=0.01, ge=0.0, lt=0.5)
    valid_share: float = Field(default=0.15, gt=0.0, lt=0.5)
    calibration_share: float = Field(default=0.15, ge=0.0, lt=0.5)
    calibration: Method = "platt"
    candidates: int = Field(default=5, ge=1, le=50)
    prune_after_folds: int = Field(default=1, ge=0)
    """A trial may be pruned after this many folds (0: never), against the median of the
    trials before it at the same fold."""
    startup_trials: int = Field(default=5, ge=0)
    """Random trials before TPE models the space; also the trials before pruning starts."""
    score: ScoreConfig = ScoreConfig()
    space: SpaceConfig = SpaceConfig()

    @model_validator(mode="after")
    def _shares(self) -> TuningConfig:
        if self.valid_share + self.calibration_share >= 0.6:
            raise ValueError("valid_share + calibration_share must leave most of a window to fit")
        if self.calibration != "none" and self.calibration_share == 0.0:
            raise ValueError(f"calibration {self.calibration!r} needs calibration_share > 0")
        return self


def parse_tuning(config_yaml: str) -> TuningConfig:
    """The `tuning` section (defaults when absent). Raises InvalidInput naming the bad key."""
    section = read_sections(config_yaml).get("tuning")
    try:
        return TuningConfig.model_validate(section or {})
    except ValidationError as exc:
        problems = "; ".join(
            f"tuning.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise InvalidInput(f"invalid ML config: {problems}") from exc
