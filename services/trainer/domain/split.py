"""Time-ordered train / validation / test split with purging, as a pure function of time.

A row's label looks `horizon_steps` bars ahead, so a training row near the boundary would
carry information from the validation period into training (and a validation row from the
test period into early stopping). Such rows are purged: a row may precede a boundary only if
its label window [t, t + horizon] (plus any extra gap) ends *before* the first bar after the
boundary. The window is measured in time, as the label is defined (features' labels.py: the
bar exactly N minutes later), so missing minutes never shrink or stretch the purge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.common.errors import InvalidInput

MINUTE_MS = 60_000
MIN_ROWS_PER_PART = 50
"""Fewer rows than this in any part makes early stopping or the test metrics meaningless."""


@dataclass(frozen=True)
class IndexRange:
    """Half-open row range [start, stop) into the time-sorted rows."""

    start: int
    stop: int

    def __len__(self) -> int:
        return max(0, self.stop - self.start)


@dataclass(frozen=True)
class Split:
    train: IndexRange
    valid: IndexRange
    test: IndexRange

    @property
    def purged_rows(self) -> int:
        """Rows dropped at the two boundaries so no label window crosses into a later part."""
        return (self.valid.start - self.train.stop) + (self.test.start - self.valid.stop)


def label_reach_ms(
    timestamps_ms: np.ndarray, horizon_steps: int, gap_steps: int = 0, step_ms: int = MINUTE_MS
) -> np.ndarray:
    """For each row, the open time of the last bar its label (plus the extra gap) depends on.

    Increasing when the timestamps are, so boundaries can be found by bisection.
    """
    ts = np.asarray(timestamps_ms, dtype=np.int64)
    return ts + (horizon_steps + gap_steps) * step_ms


def time_split(
    timestamps_ms: np.ndarray,
    *,
    horizon_steps: int,
    test_fraction: float,
    valid_fraction: float,
    gap_steps: int = 0,
    step_ms: int = MINUTE_MS,
    min_rows: int = MIN_ROWS_PER_PART,
) -> Split:
    """Split strictly increasing row times into train < valid < test, purging at boundaries.

    The newest `test_fraction` of rows is the test part, the `valid_fraction` before it the
    validation part; training rows (and validation rows) whose label window reaches the next
    part's first bar are dropped. Raises InvalidInput when timestamps are not increasing or any
    part would have fewer than `min_rows` rows.
    """
    ts = np.asarray(timestamps_ms, dtype=np.int64)
    n = int(ts.size)
    if horizon_steps < 0 or gap_steps < 0:
        raise InvalidInput("label horizon and gap must not be negative")
    if n and np.any(np.diff(ts) <= 0):
        raise InvalidInput("row timestamps must be strictly increasing to split by time")
    n_test = int(round(n * test_fraction))
    n_valid = int(round(n * valid_fraction))
    test_start = n - n_test
    valid_start = test_start - n_valid
    if n_test < min_rows or n_valid < min_rows or valid_start <= 0:
        raise _too_short(n, min_rows, test_fraction, valid_fraction)
    reach = label_reach_ms(ts, horizon_steps, gap_steps, step_ms)
    # First row whose label reaches the boundary bar: every row from there on is purged.
    valid_stop = min(int(np.searchsorted(reach, ts[test_start], side="left")), test_start)
    train_stop = min(int(np.searchsorted(reach, ts[valid_start], side="left")), valid_start)
    split = Split(
        train=IndexRange(0, train_stop),
        valid=IndexRange(valid_start, valid_stop),
        test=IndexRange(test_start, n),
    )
    if len(split.train) < min_rows or len(split.valid) < min_rows:
        raise _too_short(n, min_rows, test_fraction, valid_fraction)
    return split


def _too_short(n: int, min_rows: int, test_fraction: float, valid_fraction: float) -> InvalidInput:
    return InvalidInput(
        f"{n} labelled rows are too few to split into train/valid/test "
        f"(fractions {1 - test_fraction - valid_fraction:.2f}/{valid_fraction:.2f}/"
        f"{test_fraction:.2f}) with at least {min_rows} rows each after purging the label "
        "horizon; use a longer time range"
    )
