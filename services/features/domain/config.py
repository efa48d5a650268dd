"""The `features` and `label` sections of the ML config (configs/ml.example.yaml).

Each service parses only the sections it owns; other top-level sections (training, backtest)
are left to their owners. Unknown keys inside our sections are rejected so typos fail loudly.
Lists are normalised (timeframes in canonical order, periods ascending) so that two configs
that mean the same thing produce the same feature columns and the same feature_set_id.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.common.errors import InvalidInput

Timeframe = Literal["1m", "5m", "15m", "1h", "4h"]
M = TypeVar("M", bound=BaseModel)

TIMEFRAME_MINUTES: dict[str, int] = {"1m": 1, "5m": 5, "15m": 15, "1h": 60, "4h": 240}
"""Bar length of each supported timeframe; dict order is the canonical (ascending) order."""


def _unique_sorted(values: list[int], what: str) -> list[int]:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} has duplicates: {values}")
    return sorted(values)


class FeaturesConfig(BaseModel):
    """Which indicators are computed, on which timeframes."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    timeframes: list[Timeframe] = Field(default=["1m", "5m", "15m", "1h", "4h"], min_length=1)
    return_periods: list[int] = Field(default=[1, 5, 15])
    ema_periods: list[int] = Field(default=[9, 21, 50])
    rsi_period: int = Field(default=14, gt=0)
    atr_period: int = Field(default=14, gt=0)
    # A sample standard deviation needs at least two values.
    volume_z_window: int = Field(default=20, ge=2)

    @field_validator("timeframes")
    @classmethod
    def _canonical_timeframes(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"timeframes has duplicates: {value}")
        return sorted(value, key=list(TIMEFRAME_MINUTES).index)

    @field_validator("return_periods", "ema_periods")
    @classmethod
    def _positive_unique(cls, value: list[int]) -> list[int]:
        if any(p <= 0 for p in value):
            raise ValueError(f"periods must be positive, got {value}")
        return _unique_sorted(value, "periods")


class LabelConfig(BaseModel):
    """Forward-return label: 1 when close[t + horizon] >= close[t] * (1 + return_threshold)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    kind: Literal["forward_return"] = "forward_return"
    horizon_steps: int = Field(default=15, gt=0)
    return_threshold: float = Field(default=0.002, gt=-1.0, allow_inf_nan=False)


class FeatureSettings(BaseModel):
    """The two sections this service owns, parsed together."""

    model_config = ConfigDict(frozen=True)

    features: FeaturesConfig = FeaturesConfig()
    label: LabelConfig = LabelConfig()

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form, as stored in dataset.json under `config`."""
        return self.model_dump(mode="json")


def load_feature_settings(text: str, base: FeatureSettings | None = None) -> FeatureSettings:
    """Parse the `features` and `label` sections from ML-config YAML text.

    Args:
        text: YAML in the shape of configs/ml.example.yaml; other sections are ignored.
        base: where a section missing from `text` comes from (the server's config);
            without it, a missing section takes the built-in defaults.
    Raises:
        InvalidInput: the YAML does not parse, is not a mapping, or a section is invalid.
    """
    try:
        document = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise InvalidInput(f"ML config is not valid YAML: {exc}") from exc
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise InvalidInput("ML config must be a YAML mapping with sections features/label/...")
    defaults = base or FeatureSettings()
    features = _section(document, "features", FeaturesConfig, defaults.features)
    label = _section(document, "label", LabelConfig, defaults.label)
    return FeatureSettings(features=features, label=label)


def _section(document: dict[str, Any], name: str, model: type[M], default: M) -> M:
    raw = document.get(name)
    if raw is None:
        return default
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join([name, *(str(p) for p in err['loc'])])}: {err['msg']}"
            for err in exc.errors()
        )
        raise InvalidInput(f"invalid ML config: {problems}") from exc
