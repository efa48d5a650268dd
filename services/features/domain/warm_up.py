"""Every numba kernel of a dataset build, run once on a few bars of numpy arrays.

A queue worker calls this before it starts taking jobs: RQ forks a fresh work horse per job,
which inherits the compiled kernels instead of paying numba's first-call cost (~1 s: its
runtime start and the cache loads) on every job. numpy only, on purpose: polars must not run
in a process that forks afterwards (a child can deadlock on the pool threads it did not get).
The arrays have the types the build passes (tests/integration/common/test_worker_warm_up.py
holds a real build to adding no specialisation after this).
"""

from __future__ import annotations

import numpy as np

from services.common.arrays import read_only
from services.features.domain.asof import closed_bar_positions
from services.features.domain.config import FeaturesConfig
from services.features.domain.indicator_matrix import BarArrays, timeframe_matrix
from services.features.domain.row_features import TIME_NAMES, encode_time

_BARS = 64


def warm_kernels() -> None:
    """Compile (or load from numba's cache) every kernel a dataset build calls."""
    rng = np.random.default_rng(0)
    close = 100.0 + np.cumsum(rng.normal(0.0, 0.1, _BARS))
    high, low, volume, vwap = close + 0.05, close - 0.05, np.ones(_BARS), close.copy()
    bars = BarArrays(*(read_only(a) for a in (high, low, close, volume, vwap)))
    config = FeaturesConfig()  # every indicator group
    for extra_bar in (False, True):  # 1m's matrix, and a higher timeframe's (one bar more)
        _, tasks = timeframe_matrix(config, "1m", bars, extra_bar)
        for task in tasks:
            task()
    minutes = np.arange(_BARS, dtype=np.int64) * 60_000
    closed_bar_positions(minutes + 60_000, minutes[::5] + 300_000)
    encode_time(read_only(minutes), np.empty((len(TIME_NAMES), _BARS)))
