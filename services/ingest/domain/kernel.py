"""The one-pass bar kernel: trades sorted by time -> one row per period that has trades.

Compiled with numba because it is the hot loop of every ingest and of live trading: a single
sequential pass (two, counting the periods first so the output is allocated exactly) beats a
hash group-by, and summing in trade order makes the floats reproducible bit for bit, which is
what lets bars built live equal bars built in batch from the same trades.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numba
import numpy as np
import numpy.typing as npt

from services.common.arrays import read_only

TICK_CODES = ("PlusTick", "ZeroPlusTick", "MinusTick", "ZeroMinusTick")
"""Tick direction -> code (its index here; -1: none). The stored trades' tick_direction is
an Enum of these categories in this order, so its physical value is the code."""

_PARALLEL_FROM = 1_000_000  # trades; below this a thread costs more than it saves
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


class BarArrays(NamedTuple):
    open_time_us: I64
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64
    buy_volume: F64
    sell_volume: F64
    trade_count: I64
    notional: F64
    ticks: I64  # (n_bars, 4) counts in TICK_CODES order


@numba.njit(cache=True, nogil=True)
def _count_periods(ts: I64, period: int) -> int:
    n = ts.shape[0]
    if n == 0:
        return 0
    count = 1
    end = (ts[0] // period + 1) * period
    for i in range(1, n):
        if ts[i] >= end:  # a comparison per trade; the division only per new period
            count += 1
            end = (ts[i] // period + 1) * period
    return count


@numba.njit(cache=True, nogil=True)
def _fill(  # noqa: PLR0913 - one array per output column
    ts: I64,
    price: F64,
    size: F64,
    is_buy: npt.NDArray[np.bool_],
    tick_code: npt.NDArray[np.int8],
    period: int,
    open_time: I64,
    o: F64,
    h: F64,
    lo: F64,
    c: F64,
    vol: F64,
    buy: F64,
    sell: F64,
    count: I64,
    notional: F64,
    ticks: I64,
) -> None:
    # The forming bar lives in local variables (registers) and is written out when the next
    # period starts; branch-free adds keep random sides and ticks from stalling the pipeline.
    n = ts.shape[0]
    if n == 0:
        return
    b = 0
    start = ts[0] // period * period
    end = start + period
    hi = price[0]
    low = price[0]
    first = price[0]
    last = price[0]
    v = 0.0
    vb = 0.0
    vs = 0.0
    k = 0
    nv = 0.0
    t0 = 0
    t1 = 0
    t2 = 0
    t3 = 0
    for i in range(n):
        px = price[i]
        q = size[i]
        if ts[i] >= end:
            open_time[b] = start
            o[b] = first
            h[b] = hi
            lo[b] = low
            c[b] = last
            vol[b] = v
            buy[b] = vb
            sell[b] = vs
            count[b] = k
            notional[b] = nv
            ticks[b, 0] = t0
            ticks[b, 1] = t1
            ticks[b, 2] = t2
            ticks[b, 3] = t3
            b += 1
            start = ts[i] // period * period
            end = start + period
            first = px
            hi = px
            low = px
            v = 0.0
            vb = 0.0
            vs = 0.0
            k = 0
            nv = 0.0
            t0 = 0
            t1 = 0
            t2 = 0
            t3 = 0
        hi = max(hi, px)
        low = min(low, px)
        last = px
        v += q
        qb = q if is_buy[i] else 0.0
        vb += qb
        vs += q - qb  # exactly q or 0.0
        k += 1
        nv += px * q
        t = tick_code[i]
        t0 += t == 0
        t1 += t == 1
        t2 += t == 2
        t3 += t == 3
    open_time[b] = start
    o[b] = first
    h[b] = hi
    lo[b] = low
    c[b] = last
    vol[b] = v
    buy[b] = vb
    sell[b] = vs
    count[b] = k
    notional[b] = nv
    ticks[b, 0] = t0
    ticks[b, 1] = t1
    ticks[b, 2] = t2
    ticks[b, 3] = t3


def bar_arrays(
    ts_us: I64,
    price: F64,
    size: F64,
    is_buy: npt.NDArray[np.bool_],
    tick_code: npt.NDArray[np.int8],
    period_us: int,
) -> BarArrays:
    """Aggregate trades (sorted by `ts_us`; ties in trade order) into periods of `period_us`
    microseconds aligned to the epoch. `tick_code` is each trade's tick direction as
    its index in TICK_CODES (-1 for none). Sums run in trade order.

    Large inputs are cut at period boundaries into one part per CPU, aggregated in threads
    (the kernel releases the GIL) and joined: no bar spans two parts, so every bar is
    summed exactly as in one pass."""
    parts = min(os.cpu_count() or 1, 4) if ts_us.shape[0] >= _PARALLEL_FROM else 1
    cuts = [0]
    for k in range(1, parts):
        at = int(ts_us[ts_us.shape[0] * k // parts]) // period_us * period_us
        cuts.append(max(cuts[-1], int(np.searchsorted(ts_us, at, side="left"))))
    cuts.append(ts_us.shape[0])
    slices = [(cuts[k], cuts[k + 1]) for k in range(parts) if cuts[k] < cuts[k + 1]]
    if len(slices) <= 1:
        return _bar_arrays_serial(ts_us, price, size, is_buy, tick_code, period_us)

    def part(bounds: tuple[int, int]) -> BarArrays:
        lo, hi = bounds
        return _bar_arrays_serial(
            ts_us[lo:hi], price[lo:hi], size[lo:hi], is_buy[lo:hi], tick_code[lo:hi], period_us
        )

    with ThreadPoolExecutor(len(slices)) as pool:
        results = list(pool.map(part, slices))
    return BarArrays(*(np.concatenate(fields) for fields in zip(*results, strict=True)))


def _bar_arrays_serial(
    ts_us: I64,
    price: F64,
    size: F64,
    is_buy: npt.NDArray[np.bool_],
    tick_code: npt.NDArray[np.int8],
    period_us: int,
) -> BarArrays:
    n = _count_periods(ts_us, period_us)
    out = BarArrays(
        open_time_us=np.empty(n, np.int64),
        open=np.empty(n),
        high=np.empty(n),
        low=np.empty(n),
        close=np.empty(n),
        volume=np.zeros(n),
        buy_volume=np.zeros(n),
        sell_volume=np.zeros(n),
        trade_count=np.zeros(n, np.int64),
        notional=np.zeros(n),
        ticks=np.zeros((n, 4), np.int64),
    )
    _fill(ts_us, price, size, is_buy, tick_code, period_us, *out)
    return out


@numba.njit(cache=True, nogil=True)
def _scan_bytes(data: npt.NDArray[np.uint8]) -> tuple[int, int, bool, bool]:
    # Branch-free on purpose: CSV bytes alternate between digits, commas and newlines too
    # irregularly for branch prediction, while counting with comparisons lets LLVM vectorise
    # the loop (~10x faster than the if/elif chain it replaced).
    newlines = np.int64(0)
    commas = np.int64(0)
    unusual = np.int64(0)  # bytes the fast CSV path leaves to the slow one
    high = np.uint8(0)  # OR of every byte: >= 128 when any byte is not ASCII
    for i in range(data.shape[0]):
        byte = data[i]
        newlines += np.int64(byte == 10)
        commas += np.int64(byte == 44)
        # control bytes but \n (\r, \t, NUL, ...), space (32) and '"' (34)
        unusual += np.int64((byte < 33) & (byte != 10)) + np.int64(byte == 34)
        high |= byte
    return int(newlines), int(commas), bool(unusual != 0), bool(high >= 128)


class ByteCensus(NamedTuple):
    newlines: int
    commas: int
    unusual: bool
    """Control bytes other than \\n, spaces or double quotes."""
    non_ascii: bool


def byte_census(data: bytes) -> ByteCensus:
    """One pass over `data` (~2 GB/s on a busy core) instead of one `bytes` method call per
    question."""
    return ByteCensus(*_scan_bytes(np.frombuffer(data, np.uint8)))


def warm_kernels() -> None:
    """Run every kernel here once on a few values, with the array types ingest passes.

    A queue worker calls this before it takes jobs: RQ forks a work horse per job, which
    then inherits the compiled kernels instead of paying numba's first-call cost (~1.2 s:
    its runtime start and cache loads) on every job. numpy only: polars must not run in a
    process that forks afterwards.
    """
    n = 8
    ts, price, size = (np.arange(n, dtype=np.int64) * 1_000_000, np.ones(n), np.ones(n))
    is_buy, tick = np.ones(n, np.bool_), np.zeros(n, np.int8)
    for array in (ts, price, size, is_buy, tick):
        read_only(array)  # as bars_from_trades passes them
    bar_arrays(ts, price, size, is_buy, tick, 60_000_000)
    byte_census(b"timestamp,price,size,side\n1,1,1,Buy\n")
