"""A compact equity curve starts at its window's start with 1.0, ends at the run's final
equity, stays within its point budget and keeps a one-bar spike."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from services.research.equity_curve import MAX_POINTS, EquityCurve, compact_curve

START_MS = 1_735_689_600_000


def _equity(values: np.ndarray, start_ms: int = START_MS) -> pl.DataFrame:
    times = [
        datetime.fromtimestamp((start_ms + 300_000 * i) / 1000, tz=UTC) for i in range(len(values))
    ]
    return pl.DataFrame({"open_time": times, "equity": values}).with_columns(
        pl.col("open_time").cast(pl.Datetime("ms", "UTC"))
    )


def test_a_long_curve_is_cut_to_its_budget_keeping_start_end_and_spikes() -> None:
    values = 1.0 + np.cumsum(np.random.default_rng(3).normal(0, 1e-4, 20_000))
    values[12_345] = 1.5
    curve = compact_curve(_equity(values), START_MS)
    assert len(curve.time_ms) == len(curve.equity) <= MAX_POINTS
    assert (curve.time_ms[0], curve.equity[0]) == (START_MS, 1.0)
    assert curve.equity[-1] == pytest.approx(values[-1], abs=1e-7)
    assert curve.time_ms[-1] == START_MS + 300_000 * (len(values) - 1)
    assert max(curve.equity) == pytest.approx(1.5)
    assert curve.time_ms == sorted(curve.time_ms)


def test_a_short_curve_keeps_every_bar() -> None:
    values = np.array([1.0, 1.01, 0.99])
    curve = compact_curve(_equity(values), START_MS - 60_000)
    assert curve.equity == [1.0, 1.0, 1.01, 0.99]
    assert curve.time_ms[0] == START_MS - 60_000


def test_a_curve_round_trips_and_compounds() -> None:
    curve = EquityCurve([1, 2], [1.0, 1.2])
    assert EquityCurve.from_dict(curve.as_dict()) == curve
    assert curve.scaled(2.0).equity == [2.0, 2.4]
    with pytest.raises(ValueError, match="2 times but 1"):
        EquityCurve.from_dict({"time_ms": [1, 2], "equity": [1.0]})
