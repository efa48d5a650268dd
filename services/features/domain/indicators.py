"""Technical indicators as pure polars expressions over one timeframe's bars.

Every builder returns an `Expr` evaluated over a frame of bars sorted by `open_time`, one row
per bar. Periods count *bars* (rows) of that timeframe: a minute without trades has no bar, so
"5 bars back" is the fifth earlier bar that exists. Each value uses only its own row and earlier
rows. Warm-up rows, where a full window is not yet available, are null.

Definitions follow TA-Lib (tests check them against `talib` on real bars). Recursive averages
(EMA, Wilder) are seeded the way TA-Lib seeds them: the first value is the simple mean of the
first N inputs, placed on the row where N inputs exist; from there on
``avg[t] = alpha * x[t] + (1 - alpha) * avg[t-1]``. So the output does not depend on anything
before the first row, and a plain loop in that definition reproduces it exactly.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from services.features.domain import kernels, window_kernels


def _to_numpy(series: pl.Series) -> np.ndarray:
    return series.cast(pl.Float64).to_numpy().astype(np.float64, copy=False)


def _from_numpy(values: np.ndarray) -> pl.Series:
    return pl.Series(values, dtype=pl.Float64).fill_nan(None)


def _one_output(inputs: list[pl.Expr], kernel: Callable[..., None]) -> pl.Expr:
    """A kernel that takes the `inputs` arrays (in that order) and writes one output array,
    as an expression."""
    if len(inputs) == 1:

        def run(series: pl.Series) -> pl.Series:
            values = _to_numpy(series)
            out = np.empty(values.shape[0])
            kernel(values, out)
            return _from_numpy(out)

        return inputs[0].map_batches(run, return_dtype=pl.Float64)

    def run_many(columns: pl.Series) -> pl.Series:
        arrays = _unnest(columns)
        out = np.empty(columns.len())
        kernel(*arrays, out)
        return _from_numpy(out)

    return _struct(inputs).map_batches(run_many, return_dtype=pl.Float64)


def _two_outputs(inputs: list[pl.Expr], kernel: Callable[..., None]) -> tuple[pl.Expr, pl.Expr]:
    """A kernel that writes the two rows of a (2, rows) output array, as two expressions
    (evaluated once)."""

    def run(columns: pl.Series) -> pl.Series:
        out = np.empty((2, columns.len()))
        kernel(*_unnest(columns), out)
        return pl.struct(_from_numpy(out[0]).alias("a"), _from_numpy(out[1]).alias("b"), eager=True)

    both = _struct(inputs).map_batches(
        run, return_dtype=pl.Struct({"a": pl.Float64, "b": pl.Float64})
    )
    return both.struct.field("a"), both.struct.field("b")


def _struct(inputs: list[pl.Expr]) -> pl.Expr:
    return pl.struct(*(expr.alias(f"_{i}") for i, expr in enumerate(inputs)))


def _unnest(columns: pl.Series) -> list[np.ndarray]:
    frame = columns.struct.unnest()
    return [_to_numpy(frame.to_series(i)) for i in range(frame.width)]


def log_return(*, period: int, close: str = "close") -> pl.Expr:
    """ln(close[t] / close[t - period]); the first `period` rows are null."""
    _check_period(period)
    return _one_output([pl.col(close)], lambda c, out: window_kernels.log_return(c, period, out))


def recursive_average(
    values: pl.Expr, *, window: int, alpha: float, seed_scale: float | None = None,
    first_row: int = 0,
) -> pl.Expr:  # fmt: skip
    """Seed = the mean (or `seed_scale` * sum) of the first `window` consecutive non-null
    values, on the row where they complete (not before `first_row`); from there
    ``avg[t] = alpha * values[t] + (1 - alpha) * avg[t-1]``; null before the seed."""
    scale = 1.0 / window if seed_scale is None else seed_scale
    return _one_output(
        [values],
        lambda v, out: kernels.recursive_average_into(v, window, scale, alpha, first_row, out),
    )


def seeded_ewm(values: pl.Expr, *, period: int, alpha: float) -> pl.Expr:
    """Recursive average seeded with the simple mean of the first `period` non-null values.

    Leading nulls in `values` (e.g. a first difference) are skipped: with one leading null the
    seed lands on row `period`, as in TA-Lib's RSI and ATR. Rows before the seed are null.
    """
    _check_period(period)
    return recursive_average(values, window=period, alpha=alpha)


def ema(*, period: int, column: str = "close") -> pl.Expr:
    """EMA with alpha = 2 / (period + 1), seeded with the SMA of the first `period` values
    (TA-Lib EMA)."""
    return seeded_ewm(pl.col(column), period=period, alpha=2.0 / (period + 1))


def ema_distance(*, period: int, close: str = "close") -> pl.Expr:
    """close / EMA(period) - 1: how far price is above its average, in units of the average."""
    return ema_distance_and_slope(period=period, close=close)[0]


def ema_slope(*, period: int, close: str = "close") -> pl.Expr:
    """EMA[t] / EMA[t-1] - 1: the average's relative change over one bar."""
    return ema_distance_and_slope(period=period, close=close)[1]


def ema_distance_and_slope(*, period: int, close: str = "close") -> tuple[pl.Expr, pl.Expr]:
    """(ema_distance, ema_slope) from one pass over the closes."""
    _check_period(period)
    return _two_outputs(
        [pl.col(close)], lambda c, out: kernels.ema_distance_and_slope(c, period, out[0], out[1])
    )


def rsi(*, period: int, close: str = "close") -> pl.Expr:
    """Wilder's RSI in [0, 100]; first value on row `period` (TA-Lib RSI).

    Gains and losses of close-to-close changes are averaged with alpha = 1 / period. With no
    losses the RSI is 100; with neither gains nor losses (a flat window) it is 50 (TA-Lib
    gives 0 there: a definitional difference, documented in the parity test).
    """
    _check_period(period)
    return _one_output([pl.col(close)], lambda c, out: kernels.rsi(c, period, out))


def atr(*, period: int, high: str = "high", low: str = "low", close: str = "close") -> pl.Expr:
    """Wilder's ATR(period) in price units (TA-Lib ATR): the true range
    max(high - low, |high - prev close|, |low - prev close|), null on the first row (no
    previous close), averaged with alpha 1/period from the mean of its first `period` values."""
    _check_period(period)
    return _one_output(
        [pl.col(high), pl.col(low), pl.col(close)],
        lambda h, lo, c, out: kernels.atr(h, lo, c, period, out),
    )


def atr_ratio(*, period: int, close: str = "close") -> pl.Expr:
    """ATR(period) divided by close, so it is comparable across price levels."""
    return atr(period=period, close=close) / pl.col(close)


def macd_histogram(*, fast: int, slow: int, signal: int, close: str = "close") -> pl.Expr:
    """MACD line minus its signal line, in price units (TA-Lib MACD's third output).

    As in TA-Lib, both EMAs start on row slow-1: the fast one is seeded there with the mean of
    its last `fast` closes (not on row fast-1), so the line is defined from row slow-1 and the
    histogram from row slow + signal - 2.
    """
    _check_period(fast)
    _check_period(slow)
    _check_period(signal)
    return _one_output(
        [pl.col(close)], lambda c, out: kernels.macd_histogram(c, fast, slow, signal, out)
    )


def bollinger(*, period: int, k: float, close: str = "close") -> tuple[pl.Expr, pl.Expr]:
    """(%B, width) of Bollinger bands SMA(period) +- k * population std (TA-Lib BBANDS).

    %B = (close - lower) / (upper - lower); width = (upper - lower) / middle. A window of equal
    closes has no width; its %B is null (0/0). Computed in window_kernels.bollinger (two
    passes on differences, so it stays exact where TA-Lib's running sums of squares do not).
    """
    if period < 2:
        raise ValueError(f"Bollinger period must be >= 2, got {period}")
    return _two_outputs(
        [pl.col(close)],
        lambda c, out: window_kernels.bollinger(c, period, k, out[0], out[1]),
    )


def adx(*, period: int, high: str = "high", low: str = "low", close: str = "close") -> pl.Expr:
    """Wilder's ADX(period) in [0, 100] (TA-Lib ADX); first value on row 2 * period - 1.

    +DM/-DM (and TR, which cancels out of DX) are Wilder-smoothed from a seed of the sum of
    their first period-1 values (TA-Lib's sums; the DI ratios are the same for sums and
    averages), DX comes from row `period` on, and the ADX is the Wilder average of DX seeded
    with its first `period` values. `close` is not used (TR cancels out).
    """
    if period < 2:
        raise ValueError(f"ADX period must be >= 2, got {period}")
    return _one_output(
        [pl.col(high), pl.col(low)], lambda h, lo, out: kernels.adx(h, lo, period, out)
    )


def stochastic(
    *, period: int, smooth: int, high: str = "high", low: str = "low", close: str = "close"
) -> tuple[pl.Expr, pl.Expr]:
    """(slow %K, slow %D) of TA-Lib STOCH(fastk=period, slowk=smooth SMA, slowd=smooth SMA).

    fast %K = 100 * (close - lowest low) / (highest high - lowest low) over `period` bars; 0
    when the range is empty (TA-Lib's convention).
    """
    _check_period(period)
    _check_period(smooth)
    return _two_outputs(
        [pl.col(high), pl.col(low), pl.col(close)],
        lambda h, lo, c, out: window_kernels.stochastic(h, lo, c, period, smooth, out[0], out[1]),
    )


def realized_volatility(*, window: int, close: str = "close") -> pl.Expr:
    """Sample std (ddof=1) of the last `window` one-bar log returns (not annualised)."""
    if window < 2:
        raise ValueError(f"realised volatility window must be >= 2, got {window}")
    return _one_output(
        [pl.col(close)], lambda c, out: window_kernels.realized_volatility(c, window, out)
    )


def volume_zscore(*, window: int, volume: str = "volume") -> pl.Expr:
    """(volume - mean) / std over the last `window` bars including the current one.

    The standard deviation is the sample one (ddof=1). A window of identical volumes has no
    spread; its z-score is 0 rather than 0/0.
    """
    if window < 2:
        raise ValueError(f"volume z-score window must be >= 2, got {window}")
    return _one_output(
        [pl.col(volume)], lambda v, out: window_kernels.volume_zscore(v, window, out)
    )


def vwap_price() -> pl.Expr:
    """A bar's price for the VWAP: its own VWAP when it has one (bars from trades), its
    typical price (high + low + close) / 3 otherwise (candle imports)."""
    typical = (pl.col("high") + pl.col("low") + pl.col("close")) / 3.0
    return pl.coalesce(pl.col("vwap"), typical)


def vwap_distance(*, window: int) -> pl.Expr:
    """close / rolling VWAP - 1, the VWAP over the last `window` bars weighted by volume.

    Each bar's price is `vwap_price()`. A window without volume gives null.
    """
    _check_period(window)
    return _one_output(
        [vwap_price(), pl.col("volume"), pl.col("close")],
        lambda p, v, c, out: window_kernels.vwap_distance(p, v, c, window, out),
    )


def _check_period(period: int) -> None:
    if period <= 0:
        raise ValueError(f"period must be positive, got {period}")
