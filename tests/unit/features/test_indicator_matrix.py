"""The dataset's indicator matrix equals, column for column, the polars expressions that the
TA-Lib parity tests check (both run the same kernels), on real bars."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from services.features.domain import indicators
from services.features.domain.config import INDICATORS, FeaturesConfig
from services.features.domain.indicator_matrix import (
    bar_array_exprs,
    bar_arrays,
    indicator_groups,
    indicator_names,
    matrix_tasks,
)
from services.features.domain.parallel import run_all

CANDLES = (
    Path(__file__).resolve().parents[3]
    / "data/sample/candles/binance_spot_BTCUSDT_1m_20250520-20250818.feather"
)
CONFIG = FeaturesConfig(indicators=list(INDICATORS), return_periods=[1, 7], ema_periods=[5, 200])


def _expressions(c: FeaturesConfig, tf: str) -> dict[str, pl.Expr]:
    """Each column's expression, spelled out from its definition in indicators.py."""
    pct_b, width = indicators.bollinger(period=c.bbands_period, k=c.bbands_k)
    slow_k, slow_d = indicators.stochastic(period=c.stoch_period, smooth=c.stoch_smooth)
    macd = indicators.macd_histogram(fast=c.macd_fast, slow=c.macd_slow, signal=c.macd_signal)
    expressions = {f"ret_{p}_{tf}": indicators.log_return(period=p) for p in c.return_periods}
    for p in c.ema_periods:
        expressions[f"ema_dist_{p}_{tf}"] = indicators.ema_distance(period=p)
        expressions[f"ema_slope_{p}_{tf}"] = indicators.ema_slope(period=p)
    return expressions | {
        f"rsi_{c.rsi_period}_{tf}": indicators.rsi(period=c.rsi_period),
        f"atr_{c.atr_period}_{tf}": indicators.atr_ratio(period=c.atr_period),
        f"macd_hist_{c.macd_fast}_{c.macd_slow}_{c.macd_signal}_{tf}": macd / pl.col("close"),
        f"bb_pctb_{c.bbands_period}_{tf}": pct_b,
        f"bb_width_{c.bbands_period}_{tf}": width,
        f"adx_{c.adx_period}_{tf}": indicators.adx(period=c.adx_period),
        f"stoch_k_{c.stoch_period}_{tf}": slow_k,
        f"stoch_d_{c.stoch_period}_{tf}": slow_d,
        f"rvol_{c.realized_vol_window}_{tf}": indicators.realized_volatility(
            window=c.realized_vol_window
        ),
        f"vol_z_{c.volume_z_window}_{tf}": indicators.volume_zscore(window=c.volume_z_window),
        f"vwap_dist_{c.vwap_window}_{tf}": indicators.vwap_distance(window=c.vwap_window),
    }


@pytest.mark.parametrize("every", ["1m", "1h"])
def test_every_column_equals_its_expression(every: str) -> None:
    one = pl.read_ipc(CANDLES).select(
        pl.col("date").cast(pl.Datetime("ms", "UTC")).alias("open_time"),
        "open", "high", "low", "close", "volume",
    )  # fmt: skip
    bars = (
        one
        if every == "1m"
        else one.group_by_dynamic("open_time", every=every).agg(
            pl.col("open").first(),
            pl.col("high").max(),
            pl.col("low").min(),
            pl.col("close").last(),
            pl.col("volume").sum(),
        )
    ).with_columns(pl.lit(None, pl.Float64).alias("vwap"))
    names = indicator_names(CONFIG, every)
    arrays = bar_arrays(bars.select(bar_array_exprs()))
    matrix = np.empty((len(names), arrays.rows))
    run_all(matrix_tasks(indicator_groups(CONFIG, every), arrays, matrix))

    expected = bars.select(**_expressions(CONFIG, every))
    assert sorted(expected.columns) == sorted(names)
    for row, name in enumerate(names):
        want = expected.get_column(name).fill_null(np.nan).to_numpy()
        assert np.isfinite(want).sum() > arrays.rows // 2, name  # not a comparison of NaNs
        np.testing.assert_array_equal(matrix[row], want, err_msg=name)
