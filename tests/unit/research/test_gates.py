"""Signal gates: trend by EMA order, regime by ADX and a volatility band; unknown = closed."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from services.common.errors import Conflict
from services.research.gates import Gates, RegimeGate, TrendGate, check_columns, gate_open
from services.research.signals import engine_inputs, signal_plan


def _rows() -> pl.DataFrame:
    # close / EMA - 1: fast below slow means EMA(fast) above EMA(slow), an up trend.
    return pl.DataFrame(
        {
            "ema_dist_21_1h": [0.001, 0.003, None, 0.002],
            "ema_dist_50_1h": [0.002, 0.001, 0.004, 0.002],
            "adx_14_1h": [30.0, 30.0, 30.0, 10.0],
            "rvol_20_1h": [0.01, 0.05, 0.01, 0.01],
        }
    )


def _mask(gates: Gates, side: str) -> list[bool]:
    return _rows().with_columns(gate_open(gates, side).alias("g"))["g"].to_list()  # type: ignore[arg-type]


def test_trend_gate_reads_the_ema_order() -> None:
    gates = Gates(trend_gate=TrendGate(timeframe="1h", fast=21, slow=50))
    assert _mask(gates, "long") == [True, False, False, False]
    assert _mask(gates, "short") == [False, True, False, False]


def test_regime_gate_reads_adx_and_the_volatility_band() -> None:
    gates = Gates(regime_gate=RegimeGate(adx_min=20.0, vol_feature="rvol_20_1h", vol_max=0.02))
    assert _mask(gates, "long") == [True, False, True, False]


def test_no_gate_is_always_open_and_bad_gates_are_refused() -> None:
    assert _mask(Gates(), "long") == [True] * 4
    with pytest.raises(ValueError, match="fast"):
        TrendGate(fast=50, slow=21)
    with pytest.raises(ValueError, match="adx_min, vol_feature"):
        RegimeGate(adx_min=None)


def test_missing_gate_features_are_named() -> None:
    with pytest.raises(Conflict, match="ema_dist_9_4h, ema_dist_50_4h"):
        check_columns(Gates(trend_gate=TrendGate(timeframe="4h", fast=9)), ["close"])


def test_a_closed_gate_removes_the_signal_of_its_bar() -> None:
    n = 4
    rows = _rows().with_columns(
        pl.datetime_range(
            pl.datetime(2025, 1, 1, time_zone="UTC"),
            pl.datetime(2025, 1, 1, 0, 3, time_zone="UTC"),
            "1m",
            eager=True,
        )
        .dt.cast_time_unit("ms")
        .alias("open_time"),
        *(pl.lit(100.0).alias(c) for c in ("open", "high", "low", "close")),
        pl.lit(0.001).alias("atr_14_1m"),
        pl.lit(1, pl.Int8).alias("label"),
    )
    plan = signal_plan({"kind": "forward_return", "side": "long", "horizon_steps": 5}, {})
    gates = Gates(trend_gate=TrendGate())
    inputs = engine_inputs(rows, np.full(n, 0.9), plan, gates)
    assert inputs.signals.height == 1
    assert inputs.signals["open_time"].to_list() == rows["open_time"].to_list()[:1]
