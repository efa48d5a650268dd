import polars as pl

from services.features.domain.config import FeaturesConfig
from services.features.domain.multitimeframe import feature_names, join_timeframes
from tests.unit.features.helpers import bars

CONFIG = FeaturesConfig(
    timeframes=["1m", "5m"],
    return_periods=[1],
    ema_periods=[2],
    rsi_period=2,
    atr_period=2,
    volume_z_window=2,
    indicators=["returns", "ema", "rsi", "atr", "volume_z"],
    time_of_day=False,
)


def _join(one_minute: pl.DataFrame, five_minute: pl.DataFrame) -> pl.DataFrame:
    return join_timeframes(
        one_minute.lazy(), {"1m": one_minute.lazy(), "5m": five_minute.lazy()}, config=CONFIG
    ).collect()


def test_a_5m_value_appears_first_on_the_1m_row_that_closes_with_it() -> None:
    one_minute = bars(list(range(20)), [float(100 + i) for i in range(20)])
    # 5m bars opened at 0, 5, 10, 15 with closes 104, 109, 114, 119. ret_1_5m of the bar
    # opened at 5 is ln(109/104); it closes at minute 10, i.e. with the 1m bar opened at 9.
    five = bars([0, 5, 10, 15], [104.0, 109.0, 114.0, 119.0])
    out = _join(one_minute, five)
    by_minute = dict(zip(range(20), out.get_column("ret_1_5m").to_list(), strict=True))
    ret_5 = pl.Series([109.0 / 104.0]).log().item()
    ret_10 = pl.Series([114.0 / 109.0]).log().item()
    assert all(by_minute[m] is None for m in range(9))  # before the 5@5 bar closed
    assert all(by_minute[m] == ret_5 for m in range(9, 14))
    assert by_minute[14] == ret_10


def test_the_1m_features_are_the_rows_own() -> None:
    one_minute = bars([0, 1, 2], [100.0, 110.0, 121.0])
    out = _join(one_minute, bars([0], [121.0]))
    assert out.get_column("ret_1_1m").to_list()[1] == pl.Series([1.1]).log().item()
    assert out.get_column("ret_1_5m").to_list() == [None, None, None]


def test_after_a_gap_the_newest_closed_bar_is_used() -> None:
    # 1m rows at 0..9 and 30..35; 5m bars at 0, 5 and 30 (none in the gap). The bar opened at
    # 30 closes at 35, i.e. with the 1m row opened at 34; until then the bar opened at 5 holds.
    offsets = [*range(10), *range(30, 36)]
    one_minute = bars(offsets, [float(100 + m) for m in offsets])
    five = bars([0, 5, 30], [104.0, 109.0, 134.0])
    out = _join(one_minute, five)
    by_minute = dict(zip(offsets, out.get_column("ret_1_5m").to_list(), strict=True))
    ret_5 = pl.Series([109.0 / 104.0]).log().item()
    ret_30 = pl.Series([134.0 / 109.0]).log().item()
    seen = [by_minute[m] for m in (8, 9, 30, 33, 34, 35)]
    assert seen == [None, ret_5, ret_5, ret_5, ret_30, ret_30]


def test_feature_names_are_stable_and_follow_the_naming_rule() -> None:
    assert feature_names(CONFIG) == [
        "ret_1_1m", "ema_dist_2_1m", "ema_slope_2_1m", "rsi_2_1m", "atr_2_1m", "vol_z_2_1m",
        "ret_1_5m", "ema_dist_2_5m", "ema_slope_2_5m", "rsi_2_5m", "atr_2_5m", "vol_z_2_5m",
    ]  # fmt: skip
    reordered = CONFIG.model_copy(update={"timeframes": ["5m", "1m"]})
    assert feature_names(FeaturesConfig.model_validate(reordered.model_dump())) == feature_names(
        CONFIG
    )
