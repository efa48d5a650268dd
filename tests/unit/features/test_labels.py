import polars as pl
import pytest

from services.features.domain.labels import forward_return_label
from tests.unit.features.helpers import bars, minutes


def _labels(
    offsets: list[int], close: list[float], horizon: int, threshold: float
) -> list[int | None]:
    frame = bars(offsets, close).lazy()
    out = forward_return_label(frame, horizon_steps=horizon, return_threshold=threshold).collect()
    assert out.get_column("label").dtype == pl.Int8
    return out.get_column("label").to_list()


def test_label_by_time_with_a_gap_and_the_end_of_data() -> None:
    # Minutes 0..3, then a gap (4 missing), then 5..6. Horizon 2 minutes, threshold 1%:
    # m0 -> m2: 102 >= 101 -> 1     m1 -> m3: 100 >= 101.0 * 1.01 = 102.01? no -> 0
    # m2 -> m4: missing -> null     m3 -> m5: 110 >= 101 -> 1
    # m5 -> m7, m6 -> m8: past the end -> null
    offsets = [0, 1, 2, 3, 5, 6]
    close = [100.0, 101.0, 102.0, 100.0, 110.0, 111.0]
    assert _labels(offsets, close, horizon=2, threshold=0.01) == [1, 0, None, 1, None, None]


def test_row_offsets_would_differ_across_the_gap() -> None:
    # With row offsets m2 would look at m5 (two rows later); by time its bar (m4) is missing.
    labels = _labels([0, 1, 2, 3, 5], [1.0, 1.0, 1.0, 1.0, 9.0], horizon=2, threshold=0.0)
    assert labels[2] is None
    assert labels[3] == 1


def test_equal_to_the_threshold_counts_as_up() -> None:
    assert _labels([0, 1], [100.0, 100.0], horizon=1, threshold=0.0) == [1, None]
    assert _labels([0, 1], [100.0, 99.99], horizon=1, threshold=0.0) == [0, None]


def test_negative_threshold_and_bad_horizon() -> None:
    assert _labels([0, 1], [100.0, 99.5], horizon=1, threshold=-0.01) == [1, None]
    with pytest.raises(ValueError):
        forward_return_label(bars([0], [1.0]).lazy(), horizon_steps=0, return_threshold=0.0)


def test_short_side_mirrors_the_threshold() -> None:
    rows = pl.DataFrame(
        {"open_time": minutes(0, 1, 2, 3), "close": [100.0, 99.0, 99.8, 101.0]},
        schema_overrides={"open_time": pl.Datetime("ms", "UTC")},
    ).lazy()
    got = forward_return_label(rows, horizon_steps=1, return_threshold=0.005, side="short")
    # 99 <= 100 * 0.995 -> 1; 99.8 > 99 * 0.995 -> 0; 101 > 99.8 * 0.995 -> 0; last: null.
    assert got.collect().get_column("label").to_list() == [1, 0, 0, None]
