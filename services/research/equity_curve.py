"""An equity curve kept small enough to store with every trial: at most a few hundred
(time, equity) points that keep the line's shape, so a report can draw and stitch the folds
of any trial without re-running it.

Each curve starts with the window's own start (time = the window's start, equity 1.0: the
engine starts every run at 1.0), then the picked bars as of their close; the last bar is always
kept, so the curve ends exactly at the run's final equity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

MAX_POINTS = 300
"""Per stored curve (its start point included): ~7 KB of JSON, drawn as a smooth line."""
DECIMALS = 7
"""Equity is stored rounded to 1e-7 (a chart needs far less; JSON stays short)."""


@dataclass(frozen=True)
class EquityCurve:
    time_ms: list[int]
    equity: list[float]

    def as_dict(self) -> dict[str, list[Any]]:
        return {"time_ms": list(self.time_ms), "equity": list(self.equity)}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> EquityCurve:
        """Raises ValueError when the lists are missing or of different lengths."""
        times, values = raw.get("time_ms"), raw.get("equity")
        if not isinstance(times, list) or not isinstance(values, list):
            raise ValueError("an equity curve needs `time_ms` and `equity` lists")
        if len(times) != len(values):
            raise ValueError(f"{len(times)} times but {len(values)} equity values")
        return cls([int(t) for t in times], [float(v) for v in values])

    @property
    def last(self) -> float:
        return self.equity[-1] if self.equity else 1.0

    def scaled(self, factor: float) -> EquityCurve:
        """The same curve compounded onto a starting equity of `factor`."""
        return EquityCurve(list(self.time_ms), [factor * v for v in self.equity])


def downsample_indices(values: np.ndarray, max_points: int) -> np.ndarray:
    """Indices that keep a line's shape: the min and max of each of (max_points - 2) / 2 equal
    buckets, plus the first and last point, in order (at most max_points). All indices when the
    line is short enough."""
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    buckets = max(1, (max_points - 2) // 2)
    size = math.ceil(n / buckets)
    padded = np.concatenate((values, np.full(buckets * size - n, values[-1])))
    grid = padded.reshape(-1, size)
    base = np.arange(grid.shape[0]) * size
    picks = np.concatenate((base + grid.argmin(axis=1), base + grid.argmax(axis=1), [0, n - 1]))
    result: np.ndarray = np.unique(np.minimum(picks, n - 1))
    return result


def compact_curve(equity: pl.DataFrame, start_ms: int, max_points: int = MAX_POINTS) -> EquityCurve:
    """The engine's equity frame (open_time, equity: one row per bar) of a run that began at
    `start_ms`, as at most `max_points` points, the start (equity 1.0) first."""
    values = equity.get_column("equity").to_numpy().astype(np.float64)
    times = equity.get_column("open_time").dt.epoch("ms").to_numpy().astype(np.int64)
    keep = downsample_indices(values, max_points - 1)
    return EquityCurve(
        [int(start_ms), *(int(t) for t in times[keep])],
        [1.0, *(round(float(v), DECIMALS) for v in values[keep])],
    )
