"""Signal gates: a trial (or a user) may let the model trade only in a trend or a regime.

- Trend gate: on `timeframe`, EMA(fast) above EMA(slow) for longs, below for shorts. The
  features hold each EMA as `ema_dist_<N>_<tf>` = close / EMA - 1 with the same close, so
  EMA(fast) > EMA(slow) exactly when ema_dist_fast < ema_dist_slow.
- Regime gate: ADX(`adx_period`) on `timeframe` at least `adx_min`, and/or a volatility feature
  (`vol_feature`, e.g. `rvol_20_1h` or `atr_14_5m`) inside [vol_min, vol_max].
Both read the feature row the signal is decided on, so they look at closed bars only; a row
whose gate features are unknown is closed. A closed gate removes that side's signal.
"""

from __future__ import annotations

from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.common.errors import Conflict

Timeframe = Literal["1m", "5m", "15m", "1h", "4h"]


class TrendGate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    timeframe: Timeframe = "1h"
    fast: int = Field(default=21, gt=0)
    slow: int = Field(default=50, gt=0)

    @model_validator(mode="after")
    def _order(self) -> TrendGate:
        if self.fast >= self.slow:
            raise ValueError(f"trend gate: fast ({self.fast}) must be below slow ({self.slow})")
        return self

    def columns(self) -> list[str]:
        return [f"ema_dist_{self.fast}_{self.timeframe}", f"ema_dist_{self.slow}_{self.timeframe}"]


class RegimeGate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    timeframe: Timeframe = "1h"
    adx_period: int = Field(default=14, ge=2)
    adx_min: float | None = Field(default=20.0, ge=0.0)
    vol_feature: str | None = None
    vol_min: float | None = None
    vol_max: float | None = None

    @model_validator(mode="after")
    def _something(self) -> RegimeGate:
        if self.adx_min is None and self.vol_feature is None:
            raise ValueError("regime gate: give adx_min, vol_feature, or both")
        if self.vol_feature is None and (self.vol_min is not None or self.vol_max is not None):
            raise ValueError("regime gate: vol_min/vol_max need vol_feature")
        return self

    def columns(self) -> list[str]:
        names = [f"adx_{self.adx_period}_{self.timeframe}"] if self.adx_min is not None else []
        return names + ([self.vol_feature] if self.vol_feature else [])


class Gates(BaseModel):
    """Both off by default (None)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    trend_gate: TrendGate | None = None
    regime_gate: RegimeGate | None = None

    def columns(self) -> list[str]:
        out: list[str] = []
        for gate in (self.trend_gate, self.regime_gate):
            if gate is not None:
                out += [c for c in gate.columns() if c not in out]
        return out

    @property
    def active(self) -> bool:
        return self.trend_gate is not None or self.regime_gate is not None


def check_columns(gates: Gates, columns: list[str]) -> None:
    """Raises Conflict naming the gate features the dataset lacks."""
    missing = [c for c in gates.columns() if c not in columns]
    if missing:
        raise Conflict(
            f"the dataset lacks the feature(s) {', '.join(missing)} the signal gates read: add "
            "them to the features config (indicator, period, timeframe) and rebuild the features"
        )


def gate_open(gates: Gates, side: Literal["long", "short"]) -> pl.Expr:
    """Boolean expression over feature rows: may `side` trade here? (Unknown features: no.)"""
    condition = pl.lit(True)
    trend = gates.trend_gate
    if trend is not None:
        fast, slow = (pl.col(c) for c in trend.columns())
        condition = condition & ((fast < slow) if side == "long" else (fast > slow))
    regime = gates.regime_gate
    if regime is not None:
        if regime.adx_min is not None:
            adx = pl.col(f"adx_{regime.adx_period}_{regime.timeframe}")
            condition = condition & (adx >= regime.adx_min)
        if regime.vol_feature is not None:
            vol = pl.col(regime.vol_feature)
            condition = condition & vol.is_not_null()
            if regime.vol_min is not None:
                condition = condition & (vol >= regime.vol_min)
            if regime.vol_max is not None:
                condition = condition & (vol <= regime.vol_max)
    return condition.fill_null(False) if gates.active else pl.lit(True)
