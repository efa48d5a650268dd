"""Is the result luck? Two seeded checks on an engine run.

- **Bootstrap of the trade sequence**: resample the trades' net returns with replacement (as
  many as there were), compound each sample, and read the distribution of its total return and
  its max drawdown (trade-to-trade equity), 5th/50th/95th percentiles.
- **Random entries**: strategies with the same trades' sides and holding times, entered at
  random bars that do not overlap (in a random order, uniformly spread over the period), priced
  open to open on the same bars with the contract's costs (rule 6: slippage on both market
  fills, fees on both sides). The share whose total return beats the strategy's says how often
  chance alone does better.

Random numbers come from `numpy.random.default_rng(seed)`, so a seed gives the same figures on
every machine; the compounding loops are numba kernels. Pure and thread-safe.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from services.common.arrays import read_only
from services.engine.simulate import EngineResult

BOOTSTRAP_SAMPLES = 1000
RANDOM_RUNS = 200
PERCENTILES = (5.0, 50.0, 95.0)
_BLOCK_CELLS = 4_000_000
"""Random draws are made in blocks of about this many cells (32 MB of int64) at a time."""


def assess(
    result: EngineResult,
    opens: np.ndarray | None = None,
    *,
    samples: int = BOOTSTRAP_SAMPLES,
    runs: int = RANDOM_RUNS,
    seed: int = 0,
) -> dict[str, Any]:
    """Both checks on one run (JSON-able): {"bootstrap": ..., "random_entries": ...}.

    `opens` are the bars' opens (default: the equity frame's `open` column); the costs are the
    run's rule's fee_bps and slippage_bps.
    """
    trades = result.trades
    net = trades["net_return"].to_numpy()
    if opens is None:
        opens = result.equity["open"].to_numpy()
    sides = np.where(trades["side"].to_numpy().astype(str) == "short", -1.0, 1.0)
    return {
        "bootstrap": bootstrap(net, samples=samples, seed=seed),
        "random_entries": random_entries(
            opens,
            trades["bars_held"].to_numpy(),
            sides,
            fee=result.rule.fee,
            slippage=result.rule.slippage,
            strategy_return=float(np.prod(1.0 + net) - 1.0),
            runs=runs,
            seed=seed,
        ),
    }


def bootstrap(
    net_returns: np.ndarray, *, samples: int = BOOTSTRAP_SAMPLES, seed: int = 0
) -> dict[str, Any]:
    """The trade-sequence bootstrap: percentiles of total return and max drawdown (<= 0) of
    `samples` resampled sequences, and `prob_loss`, the share of samples that lose money."""
    returns = _read_only(net_returns, np.float64)
    k = len(returns)
    totals, drawdowns = np.zeros(samples), np.zeros(samples)
    if k:
        rng = np.random.default_rng(seed)
        block = max(1, _BLOCK_CELLS // k)
        for start in range(0, samples, block):
            stop = min(samples, start + block)
            picks = rng.integers(0, k, size=(stop - start, k))
            _compound_paths(returns, picks, totals[start:stop], drawdowns[start:stop])
    return {
        "samples": samples,
        "seed": seed,
        "trades": k,
        "total_return": _percentiles(totals),
        "max_drawdown": _percentiles(drawdowns),
        "prob_loss": float(np.mean(totals < 0.0)) if k else 0.0,
    }


def random_entries(
    opens: np.ndarray,
    bars_held: np.ndarray,
    sides: np.ndarray,
    *,
    fee: float,
    slippage: float,
    strategy_return: float,
    runs: int = RANDOM_RUNS,
    seed: int = 0,
) -> dict[str, Any]:
    """`runs` random-entry strategies (see the module doc); `sides` are +1 long, -1 short.

    Trade j enters at the open of a bar e >= 1 and exits at the open of bar e + max(held, 1);
    the trades keep their holding times and sides, their order is shuffled and the free bars
    are spread uniformly between them (stars and bars), so no two overlap. Returns the share
    of runs whose total return beats `strategy_return` and the runs' percentiles; `skipped`
    names why nothing ran (the trades hold more bars than the period has), else null.
    """
    prices = _read_only(opens, np.float64)
    holds = read_only(np.maximum(np.asarray(bars_held, dtype=np.int64), 1))
    signs = _read_only(sides, np.float64)
    k = len(holds)
    free = len(prices) - 2 - int(holds.sum())  # bars left over: entries start at bar 1
    report: dict[str, Any] = {"runs": runs, "seed": seed, "trades": k, "skipped": None}
    report["strategy_total_return"] = strategy_return
    if free < 0:
        report.update(share_beating=0.0, total_return=_percentiles(np.zeros(0)))
        report["skipped"] = f"the trades hold {int(holds.sum())} bars, the period has {len(prices)}"
        return report
    totals = np.zeros(runs)
    if k:
        rng = np.random.default_rng(seed)
        block = max(1, _BLOCK_CELLS // k)
        for start in range(0, runs, block):
            stop = min(runs, start + block)
            order = rng.permuted(np.tile(np.arange(k), (stop - start, 1)), axis=1)
            gaps = np.sort(rng.integers(0, free + 1, size=(stop - start, k)), axis=1)
            _random_totals(prices, holds, signs, order, gaps, fee, slippage, totals[start:stop])
    report["share_beating"] = float(np.mean(totals > strategy_return)) if runs else 0.0
    report["total_return"] = _percentiles(totals)
    return report


@njit(cache=True, nogil=True)
def _compound_paths(
    returns: np.ndarray, picks: np.ndarray, totals: np.ndarray, drawdowns: np.ndarray
) -> None:
    """For each row of trade indices: the compounded total return and the max drawdown of the
    trade-to-trade equity (starting at 1.0, a peak)."""
    for r in range(picks.shape[0]):
        equity, peak, deepest = 1.0, 1.0, 0.0
        for j in range(picks.shape[1]):
            equity *= 1.0 + returns[picks[r, j]]
            if equity > peak:
                peak = equity
            elif equity / peak - 1.0 < deepest:
                deepest = equity / peak - 1.0
        totals[r] = equity - 1.0
        drawdowns[r] = deepest


@njit(cache=True, nogil=True)
def _random_totals(
    opens: np.ndarray,
    holds: np.ndarray,
    signs: np.ndarray,
    order: np.ndarray,
    gaps: np.ndarray,
    fee: float,
    slippage: float,
    totals: np.ndarray,
) -> None:
    """Total return of each run: trades in `order`, trade j entering at bar 1 + gaps[j] + the
    bars held by the trades before it (gaps sorted, so entries never overlap)."""
    for r in range(order.shape[0]):
        equity, used = 1.0, 0
        for j in range(order.shape[1]):
            t = order[r, j]
            entry = 1 + gaps[r, j] + used
            used += holds[t]
            sign = signs[t]
            entry_fill = opens[entry] * (1.0 + sign * slippage)
            exit_fill = opens[entry + holds[t]] * (1.0 - sign * slippage)
            ratio = exit_fill / entry_fill
            equity *= 1.0 + sign * (ratio - 1.0) - fee * (1.0 + ratio)
        totals[r] = equity - 1.0


def _read_only(values: np.ndarray, dtype: type[np.generic]) -> np.ndarray:
    """A read-only copy: one numba specialisation whatever the caller passes."""
    return read_only(np.array(values, dtype=dtype))


def _percentiles(values: np.ndarray) -> dict[str, float]:
    if len(values) == 0:
        return {"p5": 0.0, "p50": 0.0, "p95": 0.0, "mean": 0.0}
    p5, p50, p95 = np.percentile(values, PERCENTILES)
    return {"p5": float(p5), "p50": float(p50), "p95": float(p95), "mean": float(np.mean(values))}
