"""The trainer's slice of the ML config: the `training` section (validated strictly) and the
backtest threshold, which is stored with each model as its default decision threshold.

Each service parses only its own sections of configs/ml.example.yaml, so the other sections
are not checked here; unknown keys inside `training` are rejected so typos fail loudly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from services.common.errors import InvalidInput
from services.common.ml_config import read_sections

DEFAULT_THRESHOLD = 0.5
# Objectives whose prediction is P(label = 1), which is what every consumer assumes.
BINARY_OBJECTIVES = frozenset({"binary", "cross_entropy", "xentropy"})
MAX_HELD_OUT_FRACTION = 0.8
"""valid + test may not exceed this; the rest must be left to learn from."""


class TrainingConfig(BaseModel):
    """The `training` section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    test_fraction: float = Field(default=0.2, gt=0.0, lt=1.0)
    valid_fraction: float = Field(default=0.1, gt=0.0, lt=1.0)
    gap_steps: int = Field(default=0, ge=0)
    num_boost_round: int = Field(default=400, ge=1)
    early_stopping_rounds: int = Field(default=40, ge=1)
    params: dict[str, Any] = Field(default_factory=lambda: {"objective": "binary"})

    @model_validator(mode="after")
    def _check(self) -> TrainingConfig:
        held_out = self.test_fraction + self.valid_fraction
        if held_out > MAX_HELD_OUT_FRACTION:
            raise ValueError(
                f"test_fraction + valid_fraction = {held_out:.2f} leaves too little to train on "
                f"(at most {MAX_HELD_OUT_FRACTION})"
            )
        for key, value in self.params.items():
            if not _json_scalar(value) and not (
                isinstance(value, list) and all(_json_scalar(v) for v in value)
            ):
                raise ValueError(f"params.{key} must be a number, string, bool or list of them")
        objective = str(self.params.get("objective", "binary"))
        if objective not in BINARY_OBJECTIVES:
            raise ValueError(
                f"params.objective {objective!r} is not a binary objective "
                f"({', '.join(sorted(BINARY_OBJECTIVES))}); the label is 0/1"
            )
        return self


def _json_scalar(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str | int | bool)


class _BacktestThreshold(BaseModel):
    # Only the threshold is the trainer's business; the backtester validates the rest.
    model_config = ConfigDict(extra="ignore")

    threshold: float = Field(default=DEFAULT_THRESHOLD, gt=0.0, lt=1.0)


@dataclass(frozen=True)
class TrainerConfig:
    training: TrainingConfig
    threshold: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form, as stored in the model sidecar under `config`."""
        return {
            "training": self.training.model_dump(mode="json"),
            "backtest": {"threshold": self.threshold},
        }


def parse_config(config_yaml: str, base: TrainerConfig | None = None) -> TrainerConfig:
    """Parse ML config YAML text; a section it lacks comes from `base` (the server's config),
    or the built-in defaults without one. Raises InvalidInput naming the offending key."""
    document = read_sections(config_yaml)
    training = base.training if base else TrainingConfig()
    threshold = base.threshold if base else DEFAULT_THRESHOLD
    try:
        if document.get("training") is not None:
            training = TrainingConfig.model_validate(document["training"])
    except ValidationError as exc:
        raise InvalidInput(f"invalid ML config: {_describe('training', exc)}") from exc
    try:
        if document.get("backtest") is not None:
            threshold = _BacktestThreshold.model_validate(document["backtest"]).threshold
    except ValidationError as exc:
        raise InvalidInput(f"invalid ML config: {_describe('backtest', exc)}") from exc
    return TrainerConfig(training=training, threshold=threshold)


def _describe(section: str, exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join([section, *(str(p) for p in err['loc'])])}: {err['msg']}"
        for err in exc.errors()
    )
