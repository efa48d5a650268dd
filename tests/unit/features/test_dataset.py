import hashlib
import json
import math

import polars as pl
import pytest

from services.features.domain.config import FeaturesConfig, FeatureSettings, ForwardReturnLabel
from services.features.domain.dataset import (
    FEATURE_CODE_VERSION,
    assemble_dataset,
    dataset_meta,
    feature_set_id,
    latest_complete,
)
from tests.unit.features.helpers import T0, bars

SMALL = FeatureSettings(
    features=FeaturesConfig(
        timeframes=["1m", "5m"],
        return_periods=[1],
        ema_periods=[2],
        rsi_period=2,
        atr_period=2,
        volume_z_window=2,
        indicators=["returns", "ema", "rsi", "atr", "volume_z"],
        time_of_day=False,
    ),
    label=ForwardReturnLabel(horizon_steps=2, return_threshold=0.0),
)


def test_feature_set_id_is_sha256_of_canonical_json() -> None:
    config = FeaturesConfig()
    document = {"code_version": FEATURE_CODE_VERSION, "features": config.model_dump(mode="json")}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    assert feature_set_id(config) == hashlib.sha256(canonical.encode()).hexdigest()


def test_feature_set_id_changes_with_the_definition_only() -> None:
    base = FeaturesConfig()
    same = FeaturesConfig.model_validate({"ema_periods": [200, 50, 21, 9]})
    other = FeaturesConfig.model_validate({"ema_periods": [9, 21]})
    assert feature_set_id(base) == feature_set_id(same)
    assert feature_set_id(base) != feature_set_id(other)


def _small_bars() -> dict[str, pl.LazyFrame]:
    one = bars(list(range(12)), [100.0, 101, 99, 102, 103, 101, 104, 105, 103, 106, 107, 108])
    five = bars([0, 5], [103.0, 105.0])  # closes at 5 and 10
    return {"1m": one.lazy(), "5m": five.lazy()}


def test_assembly_has_prices_features_then_label() -> None:
    frame = assemble_dataset(_small_bars(), SMALL)
    indicators = ("ret_1", "ema_dist_2", "ema_slope_2", "rsi_2", "atr_2", "vol_z_2")
    names = [f"{i}_{tf}" for tf in ("1m", "5m") for i in indicators]
    assert frame.columns == ["open_time", "open", "high", "low", "close", "volume", *names, "label"]
    assert frame.height == 12
    assert frame.schema["open_time"] == pl.Datetime("ms", "UTC")
    assert frame.get_column("label").to_list()[-2:] == [None, None]
    # 5m bar opened at 5 (close 105 after 103) reaches the 1m row opened at minute 9.
    assert frame.get_column("ret_1_5m").to_list()[8:10] == [
        None,
        pytest.approx(math.log(105 / 103)),
    ]


def test_non_finite_features_become_null() -> None:
    one = bars([0, 1, 2], [1.0, 2.0, 3.0], volume=[0.0, 0.0, 0.0])
    zero_close = one.with_columns(pl.Series("close", [0.0, 2.0, 3.0]))
    frame = assemble_dataset({"1m": zero_close.lazy(), "5m": one.lazy()}, SMALL)
    assert frame.get_column("ret_1_1m").to_list()[1] is None  # ln(2 / 0) = inf -> null
    for name in frame.columns[6:-1]:
        values = frame.get_column(name).drop_nulls()
        assert values.is_finite().all(), name


def test_meta_and_latest_complete_row() -> None:
    frame = assemble_dataset(_small_bars(), SMALL)
    meta = dataset_meta("BTCUSDT", frame, SMALL)
    t0_ms = int(T0.timestamp() * 1000)
    assert (meta.rows, meta.first_ms, meta.last_ms) == (12, t0_ms, t0_ms + 11 * 60_000)
    assert meta.label == {
        "kind": "forward_return",
        "side": "long",
        "horizon_steps": 2,
        "return_threshold": 0.0,
        "columns": ["label"],
    }
    assert meta.config["features"]["timeframes"] == ["1m", "5m"]
    latest = latest_complete(frame, meta)
    # rsi_2_5m needs three 5m bars; only two exist, so no row is complete.
    assert latest is None
    one_tf = SMALL.model_copy(
        update={"features": SMALL.features.model_copy(update={"timeframes": ["1m"]})}
    )
    frame = assemble_dataset(_small_bars(), one_tf)
    latest = latest_complete(frame, dataset_meta("BTCUSDT", frame, one_tf))
    assert latest is not None
    assert latest.timestamp_ms == t0_ms + 11 * 60_000
    assert latest.feature_names == [n for n in frame.columns[6:-1]]
    assert latest.values == [frame.get_column(n).item(-1) for n in latest.feature_names]


def test_latest_skips_rows_with_a_missing_feature() -> None:
    frame = assemble_dataset(_small_bars(), SMALL)
    meta = dataset_meta("BTCUSDT", frame, SMALL)
    names = meta.feature_names
    filled = frame.with_columns(pl.col(names).fill_null(1.0))
    holes = filled.with_columns(
        pl.when(pl.int_range(pl.len()) >= 10)
        .then(None)
        .otherwise(pl.col("rsi_2_5m"))
        .alias("rsi_2_5m")
    )
    latest = latest_complete(holes, meta)
    assert latest is not None
    assert latest.timestamp_ms == meta.first_ms + 9 * 60_000


def test_a_range_too_short_for_higher_timeframes_gives_null_features() -> None:
    one = bars(list(range(5)), [1.0, 2.0, 3.0, 4.0, 5.0])
    frame = assemble_dataset({"1m": one.lazy(), "5m": one.clear().lazy()}, SMALL)
    assert frame.height == 5
    assert frame.get_column("ret_1_5m").null_count() == 5
    assert frame.get_column("ret_1_1m").to_list()[1] == pytest.approx(math.log(2.0))
