"""The latest feature vector from only the recent bars (the warm-up window).

Windowed indicators (returns, rolling windows) need their last N bars. Recursive ones (EMA,
Wilder's RSI/ATR/ADX, MACD) depend on all history, but the weight of anything older than n bars
is (1 - alpha)^n: after `warmup_bars` the seed's influence is below DECAY of the value, so the
vector computed from the window equals the full recompute to ~1e-12 (tested at 1e-9).
When a timeframe has fewer bars than its window, the window is all of them and the two are the
same computation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import polars as pl

from services.features.domain.config import TIMEFRAME_MINUTES, FeaturesConfig
from services.features.domain.dataset import (
    BASE_TIMEFRAME,
    LatestFeatures,
    feature_frame,
    feature_set_id,
)
from services.features.domain.multitimeframe import TIME, feature_names

DECAY = 1e-13
"""Relative weight left on the recursive averages' seeds at the start of the window."""


def _memory(alpha: float, period: int) -> int:
    return period + math.ceil(math.log(DECAY) / math.log(1.0 - alpha))


def warmup_bars(config: FeaturesConfig) -> int:
    """Bars of each timeframe the latest vector needs (the same count on every timeframe)."""
    c = config
    spans = [
        max(c.return_periods, default=1) + 1,
        c.bbands_period,
        c.stoch_period + 2 * c.stoch_smooth,
    ]
    spans += [c.realized_vol_window + 1, c.volume_z_window, c.vwap_window]
    if "ema" in c.indicators:
        spans += [_memory(2.0 / (p + 1), p) + 1 for p in c.ema_periods]
    if "rsi" in c.indicators:
        spans.append(_memory(1.0 / c.rsi_period, c.rsi_period) + 1)
    if "atr" in c.indicators:
        spans.append(_memory(1.0 / c.atr_period, c.atr_period) + 1)
    if "adx" in c.indicators:
        spans.append(_memory(1.0 / c.adx_period, 2 * c.adx_period))
    if "macd" in c.indicators:
        spans.append(
            _memory(2.0 / (c.macd_slow + 1), c.macd_slow)
            + _memory(2.0 / (c.macd_signal + 1), c.macd_signal)
        )
    return max(spans)


def window_start_ms(config: FeaturesConfig, timeframe: str, close_ms: int) -> int:
    """Earliest bar open time to read for a vector as of `close_ms` (the 1m row's close):
    `warmup_bars` bars back, by time (a gap only makes the window hold fewer bars)."""
    minutes = warmup_bars(config) * TIMEFRAME_MINUTES[timeframe]
    return max(0, close_ms - minutes * 60_000 - TIMEFRAME_MINUTES[timeframe] * 60_000)


def latest_vector(
    symbol: str, bars: Mapping[str, pl.DataFrame], config: FeaturesConfig
) -> LatestFeatures | None:
    """The feature vector of the newest 1m row in `bars` (the warm-up window of each
    timeframe), or None when a feature is still unknown there (not enough history)."""
    names = feature_names(config)
    frame = feature_frame({tf: b.lazy() for tf, b in bars.items()}, config).tail(1)
    if frame.is_empty() or frame.select(pl.any_horizontal(pl.col(names).is_null())).item():
        return None
    return LatestFeatures(
        symbol=symbol,
        timestamp_ms=int(frame.get_column(TIME).dt.epoch("ms").item()),
        feature_names=names,
        values=[float(frame.get_column(n).item()) for n in names],
        feature_set_id=feature_set_id(config),
    )


__all__ = ["BASE_TIMEFRAME", "latest_vector", "warmup_bars", "window_start_ms"]
