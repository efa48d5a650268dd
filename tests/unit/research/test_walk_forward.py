"""Walk-forward folds are cut by time, purge label windows and never reach the holdout."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.errors import InvalidInput
from services.research.walk_forward import (
    HOUR_MS,
    MINUTE_MS,
    Window,
    inner_parts,
    plan,
    rows_in,
    usable_rows,
)

DAY_MS = 24 * HOUR_MS
T0 = 1_747_699_200_000  # 2025-05-20 00:00 UTC


def test_hand_computed_layout() -> None:
    walk = plan(
        T0, T0 + 100 * DAY_MS, folds=3, holdout_share=0.2, min_train_share=0.4,
        embargo_share=0.01,
    )  # fmt: skip
    assert walk.holdout == Window(T0 + 80 * DAY_MS, T0 + 100 * DAY_MS)
    span = 80 * DAY_MS
    embargo = int(span * 0.01) // MINUTE_MS * MINUTE_MS
    assert walk.embargo_ms == embargo
    first_test = T0 + 32 * DAY_MS
    tests = [(f.test.start_ms, f.test.end_ms) for f in walk.folds]
    assert tests == [
        (first_test, first_test + 16 * DAY_MS),
        (first_test + 16 * DAY_MS, first_test + 32 * DAY_MS),
        (first_test + 32 * DAY_MS, T0 + 80 * DAY_MS),
    ]
    for fold in walk.folds:
        assert fold.train.start_ms == T0  # expanding
        assert fold.train.end_ms == fold.test.start_ms - embargo


def test_rolling_windows_keep_the_first_length() -> None:
    walk = plan(
        T0, T0 + 100 * DAY_MS, folds=3, holdout_share=0.2, min_train_share=0.4,
        embargo_share=0.0, window="rolling",
    )  # fmt: skip
    lengths = {f.train.span_ms for f in walk.folds}
    assert lengths == {32 * DAY_MS}


def test_explicit_holdout_start_wins_and_must_be_inside() -> None:
    start = T0 + 70 * DAY_MS + 123 * MINUTE_MS
    walk = plan(
        T0, T0 + 100 * DAY_MS, folds=2, holdout_share=0.2, holdout_start_ms=start,
        min_train_share=0.4, embargo_share=0.0,
    )  # fmt: skip
    assert walk.holdout.start_ms == start
    assert walk.folds[-1].test.end_ms == start
    with pytest.raises(InvalidInput, match="holdout must start inside"):
        plan(
            T0, T0 + DAY_MS, folds=2, holdout_share=0.2, holdout_start_ms=T0 + 2 * DAY_MS,
            min_train_share=0.4, embargo_share=0.0,
        )  # fmt: skip


def test_too_short_a_span_is_refused() -> None:
    with pytest.raises(InvalidInput, match="too few for 20 folds"):
        plan(
            T0, T0 + 30 * MINUTE_MS, folds=20, holdout_share=0.2, min_train_share=0.4,
            embargo_share=0.0, align_ms=MINUTE_MS,
        )  # fmt: skip


def test_purge_drops_rows_whose_label_reaches_the_end() -> None:
    times = T0 + MINUTE_MS * np.arange(100, dtype=np.int64)
    part = Window(T0 + 10 * MINUTE_MS, T0 + 50 * MINUTE_MS)
    lo, hi = usable_rows(times, 15 * MINUTE_MS, part)
    assert (lo, hi) == (10, 35)  # row 34 reads the bar at minute 49, row 35 the one at 50
    assert rows_in(times, part) == (10, 50)


def test_inner_parts_are_in_time_order() -> None:
    parts = inner_parts(Window(T0, T0 + 100 * DAY_MS), 0.15, 0.15)
    assert parts.fit == Window(T0, T0 + 70 * DAY_MS)
    assert parts.valid == Window(T0 + 70 * DAY_MS, T0 + 85 * DAY_MS)
    assert parts.calibration == Window(T0 + 85 * DAY_MS, T0 + 100 * DAY_MS)
    assert inner_parts(Window(T0, T0 + DAY_MS), 0.2, 0.0).calibration is None


@settings(max_examples=200, deadline=None)
@given(
    days=st.integers(5, 400),
    folds=st.integers(1, 8),
    holdout=st.floats(0.05, 0.5),
    min_train=st.floats(0.1, 0.7),
    embargo=st.floats(0.0, 0.05),
    rolling=st.booleans(),
)
def test_folds_never_overlap_their_tests_or_the_holdout(
    days: int, folds: int, holdout: float, min_train: float, embargo: float, rolling: bool
) -> None:
    try:
        walk = plan(
            T0, T0 + days * DAY_MS, folds=folds, holdout_share=holdout,
            min_train_share=min_train, embargo_share=embargo,
            window="rolling" if rolling else "expanding",
        )  # fmt: skip
    except InvalidInput:
        return
    previous_end = None
    for fold in walk.folds:
        assert fold.train.start_ms >= T0
        assert fold.train.end_ms + walk.embargo_ms == fold.test.start_ms
        assert fold.test.start_ms < fold.test.end_ms <= walk.holdout.start_ms
        if previous_end is not None:
            assert fold.test.start_ms == previous_end  # tests tile the span
        previous_end = fold.test.end_ms
    assert previous_end == walk.holdout.start_ms
