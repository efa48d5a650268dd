"""A model's dataset rows -> the engine's bars, signals and 1m detail on the model's timeframe.

The dataset has one row per 1m bar (prices, features, label). A model trades on its label's
timeframe: 1m for the forward-return label, the pullback label's `timeframe` otherwise. Bars of
that timeframe are the 1m rows aggregated by UTC-aligned windows (as the stored bars are), and a
bar's signal is what the model said at its last 1m row: that row closes when the bar closes, so
nothing after the decision is read. The pullback label signals only on its event bars; the
forward-return label on every bar. `atr` is the feature store's ATR (ATR/close) of the signal
timeframe times that row's close, in price units. Signal gates (research/gates.py), read on
the same row, remove the signals of the bars where they are closed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from services.common.errors import Conflict, InvalidInput
from services.research.gates import Gates, check_columns, gate_open

TIME = "open_time"
EVENT = "label_event"
"""Dataset column marking the pullback label's event rows (older datasets lack it: then the
rows whose label is known are the events)."""
_UNITS = {"m": 1, "h": 60, "d": 1440}


@dataclass(frozen=True)
class SignalPlan:
    """Where a model's signals come from: the timeframe, the ATR column and the event rule."""

    timeframe: str
    minutes: int
    atr_column: str
    side: str  # the label's side: its probability is p_long or p_short
    events_only: bool
    horizon_bars: int  # the label's horizon in bars of `timeframe` (0 if unknown)


@dataclass(frozen=True)
class EngineInputs:
    bars: pl.DataFrame
    signals: pl.DataFrame
    detail: pl.DataFrame | None
    signal_rows: pl.DataFrame
    """The 1m rows the signals were read from (open_time, probability, label, atr, close)."""


def timeframe_minutes(timeframe: str) -> int:
    match = re.fullmatch(r"(\d+)([mhd])", timeframe)
    if not match or int(match.group(1)) <= 0:
        raise InvalidInput(f"unknown timeframe {timeframe!r} (expected e.g. 1m, 5m, 1h, 4h)")
    return int(match.group(1)) * _UNITS[match.group(2)]


def signal_plan(label: Mapping[str, Any], features_config: Mapping[str, Any]) -> SignalPlan:
    """The plan for a model's label definition and its dataset's features config."""
    side = str(label.get("side", "long"))
    if label.get("kind") == "ema_pullback":
        timeframe = str(label.get("timeframe", "5m"))
        period = int(label.get("atr_period", 14))
        horizon = int(label.get("horizon_bars", 0) or 0)
        events_only = True
    else:
        timeframe = "1m"
        period = int(features_config.get("atr_period", 14))
        horizon = int(label.get("horizon_steps", 0) or 0)
        events_only = False
    return SignalPlan(
        timeframe=timeframe,
        minutes=timeframe_minutes(timeframe),
        atr_column=f"atr_{period}_{timeframe}",
        side=side,
        events_only=events_only,
        horizon_bars=horizon,
    )


def engine_inputs(
    rows: pl.DataFrame,
    probabilities: npt.NDArray[np.float64],
    plan: SignalPlan,
    gates: Gates | None = None,
) -> EngineInputs:
    """Bars, signals and detail for the engine.

    Args:
        rows: the period's 1m dataset rows, sorted by open_time, with open/high/low/close, the
            ATR feature column and the label (and `label_event` for pullback datasets).
        probabilities: the model's P(label = 1) for each row.
        gates: signal gates (none by default); their feature columns must be in `rows`.

    Raises:
        Conflict: the dataset lacks the ATR feature the rule's levels need, or a gate's.
    """
    if plan.atr_column not in rows.columns:
        raise Conflict(
            f"the dataset has no `{plan.atr_column}` feature, which sets the stop and target "
            f"on {plan.timeframe}: add the atr indicator with that period and timeframe to the "
            "features config and rebuild the features"
        )
    p_name = "p_long" if plan.side == "long" else "p_short"
    other = "p_short" if plan.side == "long" else "p_long"
    if plan.events_only:
        event = pl.col(EVENT) if EVENT in rows.columns else pl.col("label").is_not_null()
    else:
        event = pl.lit(True)
    if gates is not None and gates.active:
        check_columns(gates, rows.columns)
        event = event & gate_open(gates, "long" if plan.side == "long" else "short")
    prepared = rows.select(
        TIME,
        "open",
        "high",
        "low",
        "close",
        pl.Series("probability", probabilities, dtype=pl.Float64),
        (pl.col(plan.atr_column) * pl.col("close")).alias("atr"),
        pl.col("label").cast(pl.Float64).alias("label"),
        event.fill_null(False).alias("_event"),
    )
    if plan.minutes == 1:
        bars = prepared.select(TIME, "open", "high", "low", "close")
        last = prepared
        detail = None
    else:
        grouped = prepared.group_by_dynamic(
            TIME, every=f"{plan.minutes}m", closed="left", label="left", start_by="window"
        ).agg(
            pl.col("open").first(),
            pl.col("high").max(),
            pl.col("low").min(),
            pl.col("close").last(),
            pl.col(TIME).last().alias("_row_time"),
            pl.col("probability").last(),
            pl.col("atr").last(),
            pl.col("label").last(),
            pl.col("_event").last(),
        )
        bars = grouped.select(TIME, "open", "high", "low", "close")
        last = grouped
        detail = prepared.select(TIME, "open", "high", "low", "close")
    chosen = last.filter(pl.col("_event"))
    signals = chosen.select(
        TIME,
        pl.col("probability").fill_nan(None).alias(p_name),
        pl.lit(None, pl.Float64).alias(other),
        pl.col("atr").fill_nan(None),
    ).select(TIME, "p_long", "p_short", "atr")
    row_time = "_row_time" if "_row_time" in chosen.columns else TIME
    signal_rows = chosen.select(
        pl.col(row_time).alias("row_time"),
        pl.col(TIME).alias("bar_time"),
        "probability",
        "label",
        "atr",
        "close",
    )
    return EngineInputs(bars=bars, signals=signals, detail=detail, signal_rows=signal_rows)
