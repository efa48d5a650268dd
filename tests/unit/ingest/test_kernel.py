"""The bar kernel split across threads gives the same bits as one pass."""

from __future__ import annotations

import numpy as np
import pytest

from services.ingest.domain import kernel


@pytest.mark.parametrize("period_us", [60_000_000, 3_600_000_000, 14_400_000_000])
def test_parallel_parts_equal_one_serial_pass(period_us: int) -> None:
    rng = np.random.default_rng(1)
    n = 1_500_000  # above the parallel threshold
    ts = np.sort(rng.integers(0, 3 * 86_400_000_000, n)).astype(np.int64)
    price, size = rng.random(n), rng.random(n)
    is_buy = rng.random(n) < 0.5
    tick_code = rng.choice(np.array([-1, 0, 1, 2, 3], np.int8), n)

    parallel = kernel.bar_arrays(ts, price, size, is_buy, tick_code, period_us)
    serial = kernel._bar_arrays_serial(ts, price, size, is_buy, tick_code, period_us)

    assert len(parallel.open) == len(np.unique(ts // period_us))
    for got, want in zip(parallel, serial, strict=True):
        assert np.array_equal(got, want)
    assert parallel.ticks.sum() == np.count_nonzero(tick_code >= 0)
