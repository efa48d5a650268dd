"""Request and response bodies of the public HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SYMBOL_PATTERN = r"^[A-Z0-9]{2,20}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def to_ms(value: datetime | None) -> int:
    """Datetime -> Unix ms (naive values are taken as UTC); None -> 0 (unbounded)."""
    if value is None:
        return 0
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


class _SymbolRequest(_Strict):
    symbol: str = Field(pattern=SYMBOL_PATTERN, examples=["BTCUSDT"])

    @field_validator("symbol", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class _RangeRequest(_SymbolRequest):
    start: datetime | None = Field(None, description="inclusive; ISO 8601 or Unix seconds")
    end: datetime | None = Field(None, description="exclusive; ISO 8601 or Unix seconds")

    def range_payload(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "start_ms": to_ms(self.start), "end_ms": to_ms(self.end)}


class FeaturesJobRequest(_RangeRequest):
    config_yaml: str = ""

    def payload(self) -> dict[str, Any]:
        return {**self.range_payload(), "config_yaml": self.config_yaml}


class FromTuningRequest(_Strict):
    """Retrain a tuning candidate (docs/tuning.md): its own features, label, model and rule."""

    study: str = Field("default", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    trial: int | None = Field(None, ge=0, description="a candidate; none = the best fold score")
    through: Literal["holdout_end", "now"] = Field(
        "holdout_end", description="train on data up to the study's holdout end, or up to now"
    )


class TrainJobRequest(FeaturesJobRequest):
    from_tuning: FromTuningRequest | None = Field(
        None, description="retrain this tuning candidate instead of the config given"
    )

    def payload(self) -> dict[str, Any]:
        if self.from_tuning is None:
            return super().payload()
        return {**super().payload(), "from_tuning": self.from_tuning.model_dump()}


class TuneJobRequest(FeaturesJobRequest):
    """`trady tune` as a job (docs/tuning.md); `workers` > 1 share the study through the
    stack's PostgreSQL."""

    trials: int = Field(ge=1, le=100_000, description="trials to add to the study")
    study: str = Field("default", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    seed: int = 42
    timeout_s: float = Field(0.0, ge=0.0, description="stop adding trials after this; 0 = none")
    workers: int = Field(1, ge=1, le=64, description="trainer workers sharing the study")

    def payload(self) -> dict[str, Any]:
        return {
            **super().payload(),
            "trials": self.trials,
            "study": self.study,
            "seed": self.seed,
            "timeout_s": self.timeout_s,
            "workers": self.workers,
        }


class TradingRuleRequest(BaseModel):
    """Keys of the trading rule to override (docs/backtest.md); an unset key keeps the
    configured value. The backtester validates the values and names a bad one."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["ev", "threshold"] | None = None
    k_tp: float | None = Field(None, gt=0.0, description="take profit, ATR multiple")
    k_sl: float | None = Field(None, gt=0.0, description="stop loss, ATR multiple")
    ev_margin: float | None = Field(None, description="enter when EV after costs > this")
    fee_bps: float | None = Field(None, ge=0.0, description="per side")
    slippage_bps: float | None = Field(None, ge=0.0, description="per side")
    max_hold_bars: int | None = Field(None, ge=1, description="bars of the model's timeframe")
    on_opposite: Literal["flip", "close", "ignore"] | None = None
    sides: Literal["long", "short", "both"] | None = None
    threshold: float | None = Field(None, gt=0.0, le=1.0, description="threshold mode")
    holding_bars: int | None = Field(None, ge=1, description="threshold mode")


class TuningCandidateRequest(_Strict):
    """A study's candidate, backtested with its own model (fit without the holdout) on the
    holdout, with its rule, costs and gates: the summary's holdout figures, reproduced."""

    study: str = Field("default", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    trial: int | None = Field(None, ge=0, description="a candidate; none = the best fold score")


class BacktestJobRequest(_RangeRequest):
    model_version: str = Field("", description="empty = the symbol's active model")
    from_tuning: TuningCandidateRequest | None = Field(
        None, description="backtest this tuning candidate (no model, period or rule then)"
    )
    rule: TradingRuleRequest | None = None
    threshold: float = Field(0.0, ge=0.0, le=1.0, description="0 = the model's threshold")
    holding_bars: int = Field(0, ge=0, description="0 = the configured holding period")
    fee_bps: float = Field(-1.0, description="per side; negative = configured default")

    @model_validator(mode="after")
    def _candidate_alone(self) -> BacktestJobRequest:
        chosen = [k for k in ("model_version", "start", "end") if getattr(self, k)]
        if self.from_tuning is not None and chosen:
            raise ValueError(
                f"from_tuning backtests the study's own model on its holdout: drop {chosen}"
            )
        return self

    def payload(self) -> dict[str, Any]:
        rule = self.rule.model_dump(exclude_none=True) if self.rule else {}
        if self.threshold:
            rule.setdefault("threshold", self.threshold)
        if self.holding_bars:
            rule.setdefault("holding_bars", self.holding_bars)
        if self.fee_bps >= 0:
            rule.setdefault("fee_bps", self.fee_bps)
        payload = {**self.range_payload(), "model_version": self.model_version, "rule": rule}
        if self.from_tuning is not None:
            payload["from_tuning"] = self.from_tuning.model_dump()
        return payload


TimestampUnit = Literal["auto", "s", "ms", "us", "ns"]
"""How an ingest reads numeric times (ingest's epoch.TIME_UNITS; a test keeps them equal)."""


class IngestJobRequest(_SymbolRequest):
    upload: str = Field(description="name of a file under the data root's uploads/ folder")
    kind: Literal["auto", "trades", "candles"] = "auto"
    timestamp_unit: TimestampUnit = "auto"


class PredictRequest(_SymbolRequest):
    features: dict[str, float] | None = Field(
        None, description="feature name -> value; omit to use the latest stored vector"
    )


class JobAccepted(BaseModel):
    id: str
    kind: str
    status: str
    status_url: str


class JobView(BaseModel):
    id: str
    kind: str | None
    status: str
    progress: float
    message: str
    payload: dict[str, Any] | None
    enqueued_at: str | None
    started_at: str | None
    ended_at: str | None
    retries_left: int | None
    result: Any = None
    error: str | None = None
