"""The `features` and `label` sections of the ML config (configs/ml.example.yaml).

Each service parses only the sections it owns; other top-level sections (training, backtest)
are left to their owners. Unknown keys inside our sections are rejected so typos fail loudly.
Lists are normalised (timeframes and indicators in canonical order, periods ascending) so that
two configs that mean the same thing produce the same feature columns and feature_set_id.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from services.common.errors import InvalidInput
from services.common.ml_config import read_sections

Timeframe = Literal["1m", "5m", "15m", "1h", "4h"]
M = TypeVar("M", bound=BaseModel)

TIMEFRAME_MINUTES: dict[str, int] = {"1m": 1, "5m": 5, "15m": 15, "1h": 60, "4h": 240}
"""Bar length of each supported timeframe; dict order is the canonical (ascending) order."""

INDICATORS = (
    "returns", "ema", "rsi", "atr", "macd", "bbands", "adx", "stoch", "realized_vol",
    "volume_z", "vwap",
)  # fmt: skip
"""Per-timeframe indicator groups, in the canonical (column) order."""
Indicator = Literal[
    "returns", "ema", "rsi", "atr", "macd", "bbands", "adx", "stoch", "realized_vol",
    "volume_z", "vwap",
]  # fmt: skip
Period = Annotated[int, Field(gt=0)]


def _unique_sorted(values: list[int], what: str) -> list[int]:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} has duplicates: {values}")
    return sorted(values)


class FeaturesConfig(BaseModel):
    """Which indicators are computed, with which periods, on which timeframes."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    timeframes: list[Timeframe] = Field(default=["1m", "5m", "15m", "1h", "4h"], min_length=1)
    indicators: list[Indicator] = Field(default=list(get_args(Indicator)))
    return_periods: list[int] = Field(default=[1, 5, 15])
    ema_periods: list[int] = Field(default=[9, 21, 50, 200])
    rsi_period: int = Field(default=14, gt=0)
    atr_period: int = Field(default=14, gt=0)
    macd_fast: int = Field(default=12, gt=0)
    macd_slow: int = Field(default=26, gt=0)
    macd_signal: int = Field(default=9, gt=0)
    bbands_period: int = Field(default=20, ge=2)
    bbands_k: float = Field(default=2.0, gt=0.0, allow_inf_nan=False)
    adx_period: int = Field(default=14, ge=2)
    stoch_period: int = Field(default=14, gt=0)
    stoch_smooth: int = Field(default=3, gt=0)
    realized_vol_window: int = Field(default=20, ge=2)
    # A sample standard deviation needs at least two values.
    volume_z_window: int = Field(default=20, ge=2)
    vwap_window: int = Field(default=20, gt=0)
    # Needs bars built from trades; candle imports have no order flow (the columns are null).
    order_flow: bool = False
    time_of_day: bool = True

    @field_validator("timeframes")
    @classmethod
    def _canonical_timeframes(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"timeframes has duplicates: {value}")
        return sorted(value, key=list(TIMEFRAME_MINUTES).index)

    @field_validator("indicators")
    @classmethod
    def _canonical_indicators(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"indicators has duplicates: {value}")
        return sorted(value, key=INDICATORS.index)

    @field_validator("return_periods", "ema_periods")
    @classmethod
    def _positive_unique(cls, value: list[int]) -> list[int]:
        if any(p <= 0 for p in value):
            raise ValueError(f"periods must be positive, got {value}")
        return _unique_sorted(value, "periods")

    @model_validator(mode="after")
    def _macd_order(self) -> FeaturesConfig:
        if self.macd_fast >= self.macd_slow:
            raise ValueError(f"macd_fast ({self.macd_fast}) must be < macd_slow ({self.macd_slow})")
        return self


class ForwardReturnLabel(BaseModel):
    """Long: 1 when close[t + horizon] >= close[t] * (1 + return_threshold).
    Short (the mirror): 1 when close[t + horizon] <= close[t] * (1 - return_threshold)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    kind: Literal["forward_return"] = "forward_return"
    side: Literal["long", "short"] = "long"
    horizon_steps: int = Field(default=15, gt=0)
    return_threshold: float = Field(default=0.002, gt=-1.0, lt=1.0, allow_inf_nan=False)

    @property
    def horizon_minutes(self) -> int:
        return self.horizon_steps


class PullbackLabel(BaseModel):
    """EMA-touch pullback event with a triple barrier (see domain/pullback.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    kind: Literal["ema_pullback"]
    side: Literal["long", "short"] = "long"
    timeframe: Timeframe = "5m"  # the bars events, entries and barriers are evaluated on
    touch_ema: int = Field(default=21, gt=0)  # the EMA (on `timeframe`) price pulls back to
    trend_timeframe: Timeframe = "1h"
    trend_fast_ema: int = Field(default=21, gt=0)
    trend_slow_ema: int = Field(default=50, gt=0)
    adx_period: int = Field(default=14, ge=2)
    adx_floor: float = Field(default=20.0, ge=0.0, allow_inf_nan=False)  # on trend_timeframe
    atr_period: int = Field(default=14, gt=0)  # ATR on `timeframe`, as of the event bar
    k_tp: float = Field(default=2.0, gt=0.0, allow_inf_nan=False)
    k_sl: float = Field(default=1.0, gt=0.0, allow_inf_nan=False)
    horizon_bars: int = Field(default=24, gt=0)  # H bars of `timeframe` from the entry

    @model_validator(mode="after")
    def _trend_order(self) -> PullbackLabel:
        if self.trend_fast_ema >= self.trend_slow_ema:
            raise ValueError("trend_fast_ema must be shorter than trend_slow_ema")
        if TIMEFRAME_MINUTES[self.trend_timeframe] < TIMEFRAME_MINUTES[self.timeframe]:
            raise ValueError("trend_timeframe must not be shorter than timeframe")
        return self

    @property
    def horizon_minutes(self) -> int:
        """From the event's 1m row (the last minute of the event bar) to the last 1m bar that
        can resolve it (the last minute of the H-th bar from the entry): H bars' minutes."""
        return self.horizon_bars * TIMEFRAME_MINUTES[self.timeframe]


AnyLabel = Annotated[ForwardReturnLabel | PullbackLabel, Field(discriminator="kind")]
LabelConfig = ForwardReturnLabel
"""The forward-return label under its former name (other services' tests build it)."""


class FeatureSettings(BaseModel):
    """The two sections this service owns, parsed together."""

    model_config = ConfigDict(frozen=True)

    features: FeaturesConfig = FeaturesConfig()
    label: AnyLabel = ForwardReturnLabel()

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
    document = read_sections(text)
    defaults = base or FeatureSettings()
    features = _section(document, "features", FeaturesConfig, defaults.features)
    raw_label = document.get("label")
    if raw_label is None:
        label: ForwardReturnLabel | PullbackLabel = defaults.label
    elif isinstance(raw_label, dict) and raw_label.get("kind") == "ema_pullback":
        label = _section(document, "label", PullbackLabel, defaults.label)
    else:
        label = _section(document, "label", ForwardReturnLabel, defaults.label)
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
