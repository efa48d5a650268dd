"""Purged, embargoed walk-forward folds and the final holdout, cut by time.

Every boundary is a moment, computed from the data's time span alone, so a change of label
parameters (which changes which rows carry a label) never moves a fold. A row at open time t
whose label reads the bars up to t + horizon (its *reach*) may be used in a part [start, end)
only when t >= start and t + horizon < end: its label then reads nothing at or after `end`
(the purge). Each training window also ends `embargo` before its test window starts, so the
last training labels end that long before the first tested bar (serially correlated features
do not straddle the boundary).

Layout over the data [first, end):
    [first ........................ holdout_start) [holdout_start .. end)   never read by a trial
    fold k: train [train_start, test_start - embargo)  test [test_start, test_end)
The test windows tile [first + min_train_share * span, holdout_start) in equal parts; the
training window is expanding (from the first bar) or rolling (the first window's length).
Inside a training window, the newest parts are held back for early stopping and calibration
(`inner_parts`), with the same purge at each inner boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from services.common.errors import InvalidInput

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Window:
    """Half-open [start_ms, end_ms)."""

    start_ms: int
    end_ms: int

    @property
    def span_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class Fold:
    index: int
    train: Window
    test: Window


@dataclass(frozen=True)
class WalkForward:
    folds: tuple[Fold, ...]
    holdout: Window
    embargo_ms: int


@dataclass(frozen=True)
class InnerParts:
    """A training window cut into the part the trees are fit on, the early-stopping part and
    the calibration part (None when calibration is off), in time order."""

    fit: Window
    valid: Window
    calibration: Window | None


def plan(
    first_ms: int,
    end_ms: int,
    *,
    folds: int,
    holdout_share: float,
    holdout_start_ms: int | None = None,
    min_train_share: float,
    embargo_share: float,
    window: Literal["expanding", "rolling"] = "expanding",
    align_ms: int = HOUR_MS,
) -> WalkForward:
    """The folds and the holdout over bars with open times in [first_ms, end_ms).

    `holdout_start_ms` (explicit) wins over `holdout_share` (the newest share of the span,
    its start rounded down to `align_ms`). Fold boundaries are rounded down to whole minutes.
    Raises InvalidInput when the span is too short for the folds asked for.
    """
    if folds < 1:
        raise InvalidInput(f"folds must be at least 1, got {folds}")
    if end_ms <= first_ms:
        raise InvalidInput("the data has no time span to cut into folds")
    if holdout_start_ms is None:
        cut = end_ms - int((end_ms - first_ms) * holdout_share)
        holdout_start_ms = cut - (cut % align_ms) if align_ms > 0 else cut
    if not first_ms < holdout_start_ms < end_ms:
        raise InvalidInput(
            f"the holdout must start inside the data ({_iso(first_ms)} .. {_iso(end_ms)}), "
            f"not at {_iso(holdout_start_ms)}"
        )
    span = holdout_start_ms - first_ms
    embargo = _minutes(span * embargo_share)
    first_test = first_ms + _minutes(span * min_train_share)
    test_span = (holdout_start_ms - first_test) // folds
    if test_span < MINUTE_MS or first_test - embargo <= first_ms:
        raise InvalidInput(
            f"{span / 86_400_000:.1f} days before the holdout are too few for {folds} folds "
            f"(min_train_share {min_train_share}, embargo_share {embargo_share}); use more data, "
            "fewer folds or a smaller holdout"
        )
    out = []
    train_length = first_test - embargo - first_ms
    for k in range(folds):
        test_start = first_test + _minutes(k * test_span)
        test_end = (
            holdout_start_ms if k == folds - 1 else first_test + _minutes((k + 1) * test_span)
        )
        train_end = test_start - embargo
        train_start = first_ms if window == "expanding" else max(first_ms, train_end - train_length)
        out.append(Fold(k, Window(train_start, train_end), Window(test_start, test_end)))
    return WalkForward(tuple(out), Window(holdout_start_ms, end_ms), embargo)


def inner_parts(train: Window, valid_share: float, calibration_share: float) -> InnerParts:
    """`train` cut by time: fit, then the early-stopping part (`valid_share` of the span),
    then the calibration part (`calibration_share`; none when 0)."""
    calibration_ms = _minutes(train.span_ms * calibration_share)
    valid_ms = _minutes(train.span_ms * valid_share)
    calibration_start = train.end_ms - calibration_ms
    valid_start = calibration_start - valid_ms
    if valid_ms <= 0 or valid_start <= train.start_ms:
        raise InvalidInput("the training window is too short for its early-stopping part")
    return InnerParts(
        fit=Window(train.start_ms, valid_start),
        valid=Window(valid_start, calibration_start),
        calibration=Window(calibration_start, train.end_ms) if calibration_ms > 0 else None,
    )


def usable_rows(times_ms: IntArray, horizon_ms: int, part: Window) -> tuple[int, int]:
    """[lo, hi) of the rows (sorted open times) whose time is in `part` and whose label's
    reach, t + horizon, is before the part's end: the purge."""
    lo = int(np.searchsorted(times_ms, part.start_ms, side="left"))
    hi = int(np.searchsorted(times_ms, part.end_ms - horizon_ms, side="left"))
    return lo, max(lo, hi)


def rows_in(times_ms: IntArray, part: Window) -> tuple[int, int]:
    """[lo, hi) of the rows whose open time is in `part` (no purge: a test or holdout period)."""
    lo = int(np.searchsorted(times_ms, part.start_ms, side="left"))
    hi = int(np.searchsorted(times_ms, part.end_ms, side="left"))
    return lo, hi


def _minutes(ms: float) -> int:
    return int(ms) // MINUTE_MS * MINUTE_MS


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")
