"""Time of day and week from the lookup tables equal the direct formula on datetimes."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import polars as pl

from services.features.domain.config import FeaturesConfig
from services.features.domain.row_features import TIME_NAMES, row_feature_names, row_features


def test_time_encoding_equals_the_formula_at_the_rows_close() -> None:
    start = datetime(2023, 12, 30, 23, 0, tzinfo=UTC)  # crosses a year end and a leap day
    rows = pl.DataFrame(
        {
            "open_time": pl.datetime_range(
                start, datetime(2024, 3, 2, tzinfo=UTC), "7m", eager=True, time_unit="ms"
            )
        }
    )
    got = row_features(rows, FeaturesConfig(time_of_day=True))
    closed = pl.col("open_time") + pl.duration(minutes=1)
    minute = (closed.dt.hour().cast(pl.Float64) * 60 + closed.dt.minute()) / 1440.0
    weekday = (closed.dt.weekday().cast(pl.Float64) - 1 + minute) / 7.0  # Monday = 1
    tau = 2 * math.pi
    want = rows.select(
        (tau * minute).sin().alias("time_day_sin"),
        (tau * minute).cos().alias("time_day_cos"),
        (tau * weekday).sin().alias("time_week_sin"),
        (tau * weekday).cos().alias("time_week_cos"),
    )
    assert got.columns == list(TIME_NAMES)
    for name in TIME_NAMES:
        np.testing.assert_allclose(got[name].to_numpy(), want[name].to_numpy(), rtol=0, atol=1e-15)


def test_names_follow_the_config() -> None:
    assert row_feature_names(FeaturesConfig(time_of_day=False)) == []
    both = row_feature_names(FeaturesConfig(order_flow=True))
    assert both[0] == "of_imbalance_1m" and both[-4:] == list(TIME_NAMES)
