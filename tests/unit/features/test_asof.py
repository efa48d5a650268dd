"""closed_bar_positions: the backward as-of match of row close times on bar close times."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from services.features.domain.asof import closed_bar_positions


def _asof_join_reference(row_close: np.ndarray, bar_close: np.ndarray) -> list[int | None]:
    bars = pl.DataFrame({"t": bar_close, "position": np.arange(bar_close.shape[0])})
    rows = pl.DataFrame({"t": row_close, "row": np.arange(row_close.shape[0])}).sort("t")
    joined = rows.join_asof(bars, on="t", strategy="backward").sort("row")
    return joined.get_column("position").to_list()


def test_a_bar_is_seen_from_the_row_that_closes_with_it_on() -> None:
    bar_close = np.array([10, 20, 20, 30])  # two bars closing together: the later one counts
    row_close = np.array([9, 10, 19, 20, 29, 30, 31, 100])
    got = closed_bar_positions(row_close, bar_close).tolist()
    assert got == [4, 0, 0, 2, 2, 3, 3, 3]  # 4 = none closed yet (one past the last bar)


def test_no_bars_means_no_row_sees_one() -> None:
    empty = np.array([], dtype=np.int64)
    assert closed_bar_positions(np.array([1, 2]), empty).tolist() == [0, 0]
    assert closed_bar_positions(empty, np.array([1])).tolist() == []


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("shuffled", [False, True])
def test_matches_a_backward_asof_join(seed: int, shuffled: bool) -> None:
    rng = np.random.default_rng(seed)
    bar_close = np.sort(rng.integers(0, 5_000, 400))  # duplicates and gaps
    row_close = np.sort(rng.integers(-100, 5_200, 3_000))
    if shuffled:
        rng.shuffle(row_close)  # not the dataset's case, but still answered correctly
    expected = _asof_join_reference(row_close, bar_close)
    got = closed_bar_positions(row_close, bar_close)
    none = bar_close.shape[0]
    assert [None if p == none else int(p) for p in got] == expected
