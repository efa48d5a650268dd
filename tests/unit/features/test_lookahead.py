"""THE look-ahead test, on real BTCUSDT candles, for every feature of the full set.

For several cut points t, every bar after t is randomised (prices, volumes, order flow, and
some bars dropped to make gaps) and the dataset rebuilt from scratch. Everything known at t must not
move: the features of each row that closed by t (open_time + 1m <= t) and each label whose
horizon bar closed by t. A control run with a deliberately leaky join (higher-timeframe bars
usable from their open) shows that this check does catch look-ahead.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from services.features.domain.config import (
    INDICATORS,
    TIMEFRAME_MINUTES,
    FeaturesConfig,
    FeatureSettings,
    load_feature_settings,
)
from services.features.domain.dataset import assemble_dataset
from services.features.domain.labels import label_definition
from services.features.domain.multitimeframe import TICKS, feature_names

CANDLES = (
    Path(__file__).resolve().parents[3]
    / "data/sample/candles/binance_spot_BTCUSDT_1m_20250520-20250818.feather"
)
ROWS = 56_000  # 39 days: enough for the slowest feature (EMA 200 on 4h bars) to warm up
# Every indicator group on all five timeframes, order flow on, horizon 15.
SETTINGS = FeatureSettings(features=FeaturesConfig(indicators=list(INDICATORS), order_flow=True))
NAMES = feature_names(SETTINGS.features)
HORIZON = SETTINGS.label.horizon_steps
# Minutes after the first bar (00:00 UTC): arbitrary ones, one minute before a 4h close (so
# every timeframe's current bar is half old, half scrambled) and an exact 4h close.
CUT_OFFSETS = [52_347, 52_799, 53_760, 54_001]
FLOW = ["buy_volume", "sell_volume", "trade_count", *(f"{t}_count" for t in TICKS)]


def with_order_flow(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Synthetic but consistent order flow (candles have none): buy + sell = volume."""
    rng = np.random.default_rng(seed)
    n = frame.height
    buy = frame.get_column("volume").to_numpy() * rng.uniform(0.0, 1.0, n)
    counts = {f"{t}_count": rng.integers(0, 50, n) for t in TICKS}
    return frame.with_columns(
        pl.Series("buy_volume", buy),
        (pl.col("volume") - pl.Series(buy)).alias("sell_volume"),
        pl.Series("trade_count", sum(counts.values()) + 1),
        *(pl.Series(k, v) for k, v in counts.items()),
    )


@pytest.fixture(scope="module")
def candles() -> pl.DataFrame:
    frame = pl.read_ipc(CANDLES).head(ROWS)
    return with_order_flow(
        frame.select(
            pl.col("date").cast(pl.Datetime("ms", "UTC")).alias("open_time"),
            "open", "high", "low", "close", "volume",
        ),
        seed=0,
    )  # fmt: skip


def resample(one_minute: pl.DataFrame) -> dict[str, pl.LazyFrame]:
    """Higher timeframes from 1m bars with plain group_by_dynamic (independent of ingest)."""
    out = {"1m": one_minute.lazy()}
    for tf in TIMEFRAME_MINUTES:
        if tf == "1m":
            continue
        out[tf] = (
            one_minute.sort("open_time")
            .group_by_dynamic("open_time", every=tf, closed="left", label="left")
            .agg(
                pl.col("open").first(),
                pl.col("high").max(),
                pl.col("low").min(),
                pl.col("close").last(),
                pl.col("volume").sum(),
                *(pl.col(c).sum() for c in FLOW),
            )
            .lazy()
        )
    return out


def scramble_after(one_minute: pl.DataFrame, cut: datetime, seed: int) -> pl.DataFrame:
    """Random prices and volumes for every bar opened at or after `cut`; 10% of them dropped."""
    rng = np.random.default_rng(seed)
    after = one_minute.filter(pl.col("open_time") >= cut)
    n = after.height
    close = after.get_column("close").to_numpy() * rng.uniform(0.8, 1.25, n)
    open_ = close * rng.uniform(0.98, 1.02, n)
    scrambled = after.with_columns(
        pl.Series("open", open_),
        pl.Series("high", np.maximum(open_, close) * rng.uniform(1.0, 1.01, n)),
        pl.Series("low", np.minimum(open_, close) * rng.uniform(0.99, 1.0, n)),
        pl.Series("close", close),
        pl.Series("volume", rng.uniform(0.0, 500.0, n)),
    )
    scrambled = with_order_flow(scrambled, seed + 1).filter(pl.Series(rng.uniform(size=n) >= 0.1))
    return pl.concat([one_minute.filter(pl.col("open_time") < cut), scrambled])


def known_at(
    dataset: pl.DataFrame,
    cut: datetime,
    horizon: int = HORIZON,
    labels: tuple[str, ...] = ("label",),
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(features of rows closed by `cut`, labels whose horizon bar closed by `cut`)."""
    closed = dataset.filter(pl.col("open_time") + timedelta(minutes=1) <= cut)
    horizon_closed = dataset.filter(pl.col("open_time") + timedelta(minutes=horizon + 1) <= cut)
    return closed.select("open_time", *NAMES), horizon_closed.select("open_time", *labels)


def build(one_minute: pl.DataFrame, settings: FeatureSettings = SETTINGS) -> pl.DataFrame:
    return assemble_dataset(resample(one_minute), settings)


@pytest.mark.parametrize("offset", CUT_OFFSETS)
def test_nothing_known_at_a_cut_depends_on_bars_after_it(
    candles: pl.DataFrame, offset: int
) -> None:
    cut = candles.get_column("open_time")[0] + timedelta(minutes=offset)
    original = build(candles)
    altered = build(scramble_after(candles, cut, seed=offset))

    features_before, labels_before = known_at(original, cut)
    features_after, labels_after = known_at(altered, cut)
    assert features_before.height == offset
    assert_frame_equal(features_after, features_before)
    assert_frame_equal(labels_after, labels_before)

    # The features are warmed up by then, so the comparison is not of nulls with nulls.
    assert features_before.tail(1).null_count().sum_horizontal().item() == 0
    # The scrambling did reach every timeframe's features after the cut (the test has teeth).
    later = original.join(altered, on="open_time", suffix="_alt").filter(
        pl.col("open_time") >= cut + timedelta(hours=8)
    )
    for name in NAMES:
        if name.startswith("time_"):
            continue  # a function of the row's own timestamp only: nothing to scramble
        assert (later.get_column(name) != later.get_column(f"{name}_alt")).any(), name


def test_pullback_labels_known_at_a_cut_do_not_depend_on_later_bars(
    candles: pl.DataFrame,
) -> None:
    settings = SETTINGS.model_copy(
        update={
            "label": load_feature_settings(
                "label: {kind: ema_pullback, timeframe: 5m, trend_timeframe: 1h, adx_floor: 15}"
            ).label
        }
    )
    horizon = label_definition(settings.label)["horizon_steps"]
    columns = ("label", "label_r", "label_bars")
    cut = candles.get_column("open_time")[0] + timedelta(minutes=CUT_OFFSETS[1])
    _, before = known_at(build(candles, settings), cut, horizon, columns)
    _, after = known_at(
        build(scramble_after(candles, cut, seed=5), settings), cut, horizon, columns
    )
    assert before.get_column("label").drop_nulls().len() > 100  # events exist and resolve
    assert_frame_equal(after, before)


@pytest.mark.parametrize("early_minutes", [None, 1])
def test_the_check_catches_a_leaky_join(candles: pl.DataFrame, early_minutes: int | None) -> None:
    """Control: higher-timeframe bars made usable from their open (the classic bug, None) or
    just one minute before they close."""

    def leaky_build(one_minute: pl.DataFrame) -> pl.DataFrame:
        bars = resample(one_minute)
        for tf, minutes in TIMEFRAME_MINUTES.items():
            if tf != "1m":  # an earlier open time moves the bar's availability earlier
                shift = timedelta(minutes=early_minutes or minutes)
                bars[tf] = bars[tf].with_columns(pl.col("open_time") - shift)
        return assemble_dataset(bars, SETTINGS)

    cut = candles.get_column("open_time")[0] + timedelta(minutes=12_959)
    before, _ = known_at(leaky_build(candles), cut)
    after, _ = known_at(leaky_build(scramble_after(candles, cut, seed=1)), cut)
    with pytest.raises(AssertionError):
        assert_frame_equal(after, before)
