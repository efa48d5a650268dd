"""Time split with purging, on hand-worked cases (times in minutes for readability)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.errors import InvalidInput
from services.trainer.domain.split import IndexRange, time_split

MIN = 60_000


def minutes(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64) * MIN


def test_contiguous_minutes_purge_the_label_horizon_before_each_boundary() -> None:
    # 20 rows at minutes 0..19; test = last 5 (15..19), valid = 5 before (10..14).
    # Horizon 2: a row at t reaches t+2, so it may precede minute 10 only if t+2 < 10 (t <= 7)
    # and precede minute 15 only if t+2 < 15 (t <= 12).
    split = time_split(
        minutes(*range(20)), horizon_steps=2, test_fraction=0.25, valid_fraction=0.25, min_rows=1
    )
    assert split.train == IndexRange(0, 8)
    assert split.valid == IndexRange(10, 13)
    assert split.test == IndexRange(15, 20)
    assert split.purged_rows == 4


def test_gap_steps_add_to_the_horizon() -> None:
    split = time_split(
        minutes(*range(20)),
        horizon_steps=2,
        gap_steps=1,
        test_fraction=0.25,
        valid_fraction=0.25,
        min_rows=1,
    )
    assert split.train == IndexRange(0, 7)  # t + 3 < 10
    assert split.valid == IndexRange(10, 12)  # t + 3 < 15


def test_missing_minutes_are_measured_in_time_not_rows() -> None:
    # Rows 0..9 at minutes 0..9, then the market was silent until minute 30: the validation
    # part starts 21 minutes after the last training row, so no training row needs purging
    # (a row-count purge would drop two rows for nothing).
    ts = minutes(*range(10), *range(30, 40))
    split = time_split(ts, horizon_steps=2, test_fraction=0.25, valid_fraction=0.25, min_rows=1)
    assert split.train == IndexRange(0, 10)
    assert split.valid == IndexRange(10, 13)  # 30..32: t + 2 < 35
    assert split.test == IndexRange(15, 20)


def test_a_gap_inside_the_horizon_still_purges_by_time() -> None:
    # Minutes 0..7, then 9..20 (minute 8 missing). Valid starts at row 10 = minute 11, so
    # training rows need t + 3 < 11, i.e. t <= 7: rows 0..7 (minute 9 and 10 are purged).
    ts = minutes(*range(8), *range(9, 21))
    split = time_split(ts, horizon_steps=3, test_fraction=0.25, valid_fraction=0.25, min_rows=1)
    assert ts[split.valid.start] == 11 * MIN
    assert split.train == IndexRange(0, 8)


def test_too_short_data_is_refused_with_a_readable_message() -> None:
    with pytest.raises(InvalidInput, match="too few"):
        time_split(minutes(*range(100)), horizon_steps=15, test_fraction=0.2, valid_fraction=0.1)


def test_a_horizon_longer_than_the_validation_part_leaves_no_validation_rows() -> None:
    with pytest.raises(InvalidInput, match="too few"):
        time_split(
            minutes(*range(20)),
            horizon_steps=6,
            test_fraction=0.25,
            valid_fraction=0.25,
            min_rows=1,
        )


def test_unsorted_or_duplicate_times_are_refused() -> None:
    with pytest.raises(InvalidInput, match="strictly increasing"):
        time_split(minutes(0, 1, 1, 2), horizon_steps=1, test_fraction=0.25, valid_fraction=0.25)
    with pytest.raises(InvalidInput, match="strictly increasing"):
        time_split(minutes(0, 2, 1, 3), horizon_steps=1, test_fraction=0.25, valid_fraction=0.25)


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.integers(min_value=1, max_value=5), min_size=60, max_size=300),
    horizon=st.integers(min_value=0, max_value=10),
    gap=st.integers(min_value=0, max_value=3),
)
def test_no_label_window_crosses_a_boundary_and_purging_is_minimal(
    steps: list[int], horizon: int, gap: int
) -> None:
    ts = np.cumsum(np.array(steps, dtype=np.int64)) * MIN
    try:
        split = time_split(
            ts,
            horizon_steps=horizon,
            gap_steps=gap,
            test_fraction=0.2,
            valid_fraction=0.2,
            min_rows=5,
        )
    except InvalidInput:
        return
    reach = horizon + gap
    parts = [split.train, split.valid, split.test]
    assert split.train.start == 0 and split.test.stop == ts.size
    for earlier, later in zip(parts, parts[1:], strict=False):
        assert earlier.stop <= later.start  # time order, no overlap
        boundary = ts[later.start]
        # every kept row's label window ends before the next part's first bar ...
        assert all(ts[i] + reach * MIN < boundary for i in range(earlier.start, earlier.stop))
        # ... and the first purged row (if any) really would have crossed it.
        if earlier.stop < later.start:
            assert ts[earlier.stop] + reach * MIN >= boundary
