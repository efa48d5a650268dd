"""Random market cases for the property tests: 1m bars with missing minutes and price gaps,
the signal-timeframe bars aggregated from them (so the detail is always consistent with its
parent), sparse signals with nulls, and random rules; plus the real bundled candles."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from hypothesis import strategies as st

from services.engine.rule import EvRule

MINUTE_MS = 60_000
TIME = pl.Datetime("ms", "UTC")
REPO = Path(__file__).resolve().parents[3]
ETH_1M = (
    REPO / "tests" / "fixtures" / "market" / "binance_spot_ETHUSDT_1m_20250520-20250818.feather"
)
BTC_1M = REPO / "data" / "sample" / "candles" / "binance_spot_BTCUSDT_1m_20250520-20250818.feather"


@dataclass(frozen=True)
class Market:
    bars: pl.DataFrame  # signal timeframe, gaps allowed
    detail: pl.DataFrame  # the 1m bars the signal bars aggregate
    signals: pl.DataFrame


def _minutes(rng: np.random.Generator, n_bars: int, tf: int, grid: bool) -> pl.DataFrame:
    """1m bars of `n_bars` tf-minute slots; ~15% of slots and ~30% of minutes missing."""
    times: list[int] = []
    rows: list[tuple[float, float, float, float]] = []
    price = 100.0
    slot = 0
    while len({t // tf for t in times}) < n_bars:
        if rng.random() < 0.15:  # a missing signal bar
            slot += int(rng.integers(1, 4))
        present = [m for m in range(tf) if rng.random() < 0.7] or [int(rng.integers(tf))]
        for m in present:
            if rng.random() < 0.12:  # a price gap between minutes
                price *= 1 + rng.choice([-1, 1]) * rng.uniform(0.005, 0.04)
            o = price
            c = o * (1 + rng.normal(0, 0.004))
            h = max(o, c) * (1 + abs(rng.normal(0, 0.003)))
            lo = min(o, c) * (1 - abs(rng.normal(0, 0.003)))
            if grid:  # a coarse tick: touches exactly at a level, ties in opens
                o, c, h, lo = (round(x * 4) / 4 for x in (o, c, h, lo))
                h, lo = max(h, o, c), min(lo, o, c)
            rows.append((o, h, lo, c))
            times.append(slot * tf + m)
            price = c
        slot += 1
    frame = pl.DataFrame(
        {
            "open_time": pl.Series([t * MINUTE_MS for t in times], dtype=pl.Int64).cast(TIME),
            "open": [r[0] for r in rows],
            "high": [r[1] for r in rows],
            "low": [r[2] for r in rows],
            "close": [r[3] for r in rows],
        }
    )
    return frame


def aggregate(minutes: pl.DataFrame, every: str) -> pl.DataFrame:
    """Signal-timeframe bars: exactly the aggregation of their 1m bars (no empty bar)."""
    return (
        minutes.sort("open_time")
        .group_by_dynamic("open_time", every=every)
        .agg(
            pl.col("open").first(),
            pl.col("high").max(),
            pl.col("low").min(),
            pl.col("close").last(),
        )
        .sort("open_time")
    )


def random_signals(
    rng: np.random.Generator, bars: pl.DataFrame, density: float, grid: bool
) -> pl.DataFrame:
    """Signals on ~density of the bars; nulls, ties and non-positive atr included."""
    keep = rng.random(bars.height) < density
    sub = bars.filter(pl.Series(keep))
    n = sub.height
    closes = sub["close"].to_numpy()

    def probs() -> list[float | None]:
        values = rng.choice([0.4, 0.5, 0.6, 0.7, 0.8], n) if grid else rng.uniform(0.2, 0.95, n)
        return [None if rng.random() < 0.3 else float(v) for v in values]

    atr_frac = rng.uniform(0.002, 0.03, n)
    atrs: list[float | None] = []
    for c, a in zip(closes, atr_frac, strict=True):
        u = rng.random()
        if u < 0.04:
            atrs.append(None)
        elif u < 0.07:
            atrs.append(0.0)
        elif u < 0.09:
            atrs.append(-float(c * a))
        else:
            atrs.append((round(c * a * 4) / 4 or 0.25) if grid else float(c * a))
    return pl.DataFrame(
        {
            "open_time": sub["open_time"],
            "p_long": pl.Series(probs(), dtype=pl.Float64),
            "p_short": pl.Series(probs(), dtype=pl.Float64),
            "atr": pl.Series(atrs, dtype=pl.Float64),
        }
    )


def random_market(seed: int, n_bars: int, grid: bool, density: float, tf: int = 5) -> Market:
    rng = np.random.default_rng(seed)
    minutes = _minutes(rng, n_bars, tf, grid)
    bars = aggregate(minutes, f"{tf}m")
    return Market(bars, minutes, random_signals(rng, bars, density, grid))


GRID_K = [0.5, 1.0, 1.5, 2.0, 3.0]


@st.composite
def rules(draw: st.DrawFn, grid: bool = False) -> EvRule:
    k = st.sampled_from(GRID_K) if grid else st.floats(0.2, 5.0)
    values: dict[str, Any] = {
        "k_tp": draw(k),
        "k_sl": draw(k),
        "ev_margin": draw(st.sampled_from([0.0, -0.002, 0.001, 0.004])),
        "fee_bps": draw(st.sampled_from([0.0, 1.0, 5.5, 10.0])),
        "slippage_bps": draw(st.sampled_from([0.0, 0.5, 1.0, 5.0])),
        "max_hold_bars": draw(st.integers(1, 25)),
        "on_opposite": draw(st.sampled_from(["flip", "close", "ignore"])),
        "sides": draw(st.sampled_from(["long", "short", "both"])),
    }
    return EvRule(**values)


def wilder_atr(bars: pl.DataFrame, period: int = 14) -> list[float | None]:
    """ATR (Wilder's smoothing of the true range), plain Python; None during the warm-up."""
    highs, lows, closes = (bars[c].to_list() for c in ("high", "low", "close"))
    out: list[float | None] = []
    atr: float | None = None
    trs: list[float] = []
    for i in range(len(highs)):
        prev = closes[i - 1] if i else closes[0]
        tr = max(highs[i] - lows[i], abs(highs[i] - prev), abs(lows[i] - prev))
        trs.append(tr)
        if i + 1 == period:
            atr = sum(trs) / period
        elif atr is not None:
            atr = (atr * (period - 1) + tr) / period
        out.append(atr)
    return out


def real_market(path: Path, every: str, seed: int, density: float, rows: int) -> Market:
    """The first `rows` real 1m candles of `path`, `every` signal bars aggregated from them,
    a Wilder ATR(14) computed here and seeded random probabilities on ~density of the bars."""
    minutes = (
        pl.read_ipc(path)
        .head(rows)
        .select(pl.col("date").cast(TIME).alias("open_time"), "open", "high", "low", "close")
    )
    bars = aggregate(minutes, every)
    rng = np.random.default_rng(seed)
    keep = pl.Series(rng.random(bars.height) < density)
    n = int(keep.sum())
    p_long = [None if rng.random() < 0.2 else float(v) for v in rng.uniform(0.3, 0.8, n)]
    p_short = [None if rng.random() < 0.2 else float(v) for v in rng.uniform(0.3, 0.8, n)]
    signals = (
        bars.with_columns(atr=pl.Series(wilder_atr(bars), dtype=pl.Float64))
        .filter(keep)
        .select(
            "open_time",
            pl.Series("p_long", p_long, dtype=pl.Float64),
            pl.Series("p_short", p_short, dtype=pl.Float64),
            "atr",
        )
    )
    return Market(bars, minutes, signals)
