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

import numpy as np
import polars as pl

from services.features.domain import kernels


def log_return(*, period: int, close: str = "close") -> pl.Expr:
    """ln(close[t] / close[t - period]); the first `period` rows are null."""
    _check_period(period)
    return (pl.col(close) / pl.col(close).shift(period)).log()


def _to_numpy(series: pl.Series) -> np.ndarray:
    return series.cast(pl.Float64).to_numpy().astype(np.float64, copy=False)


def _from_numpy(values: np.ndarray) -> pl.Series:
    return pl.Series(values, dtype=pl.Float64).fill_nan(None)


def recursive_average(
    values: pl.Expr, *, window: int, alpha: float, seed_scale: float | None = None,
    first_row: int = 0,
) -> pl.Expr:  # fmt: skip
    """Seed = the mean (or `seed_scale` * sum) of the first `window` consecutive non-null
    values, on the row where they complete (not before `first_row`); from there
    ``avg[t] = alpha * values[t] + (1 - alpha) * avg[t-1]``; null before the seed."""
    scale = 1.0 / window if seed_scale is None else seed_scale

    def run(series: pl.Series) -> pl.Series:
        return _from_numpy(
            kernels.recursive_average(_to_numpy(series), window, scale, alpha, first_row)
        )

    return values.map_batches(run, return_dtype=pl.Float64)


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
    return pl.col(close) / ema(period=period, column=close) - 1.0


def ema_slope(*, period: int, close: str = "close") -> pl.Expr:
    """EMA[t] / EMA[t-1] - 1: the average's relative change over one bar."""
    average = ema(period=period, column=close)
    return average / average.shift(1) - 1.0


def rsi(*, period: int, close: str = "close") -> pl.Expr:
    """Wilder's RSI in [0, 100]; first value on row `period` (TA-Lib RSI).

    Gains and losses of close-to-close changes are averaged with alpha = 1 / period. With no
    losses the RSI is 100; with neither gains nor losses (a flat window) it is 50 (TA-Lib
    gives 0 there: a definitional difference, documented in the parity test).
    """
    _check_period(period)

    def run(series: pl.Series) -> pl.Series:
        return _from_numpy(kernels.rsi(_to_numpy(series), period))

    return pl.col(close).map_batches(run, return_dtype=pl.Float64)


def true_range(*, high: str = "high", low: str = "low", close: str = "close") -> pl.Expr:
    """max(high - low, |high - prev close|, |low - prev close|); null on the first row,
    which has no previous close (TA-Lib convention)."""
    prev_close = pl.col(close).shift(1)
    spread = pl.max_horizontal(
        pl.col(high) - pl.col(low),
        (pl.col(high) - prev_close).abs(),
        (pl.col(low) - prev_close).abs(),
    )
    return pl.when(prev_close.is_null()).then(None).otherwise(spread)


def atr(*, period: int, close: str = "close") -> pl.Expr:
    """Wilder's ATR(period) in price units (TA-Lib ATR)."""
    return seeded_ewm(true_range(close=close), period=period, alpha=1.0 / period)


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
    prices = pl.col(close)
    ema_fast = recursive_average(prices, window=fast, alpha=2.0 / (fast + 1), first_row=slow - 1)
    line = ema_fast - ema(period=slow, column=close)
    return line - seeded_ewm(line, period=signal, alpha=2.0 / (signal + 1))


def bollinger(*, period: int, k: float, close: str = "close") -> tuple[pl.Expr, pl.Expr]:
    """(%B, width) of Bollinger bands SMA(period) +- k * population std (TA-Lib BBANDS).

    %B = (close - lower) / (upper - lower); width = (upper - lower) / middle. A window of equal
    closes has no width; its %B is null (0/0). Computed in kernels.bollinger (two passes on
    differences, so it stays exact where TA-Lib's running sums of squares do not).
    """
    if period < 2:
        raise ValueError(f"Bollinger period must be >= 2, got {period}")

    def run(series: pl.Series) -> pl.Series:
        pct_b, width = kernels.bollinger(_to_numpy(series), period, k)
        return pl.struct(
            _from_numpy(pct_b).alias("pct_b"), _from_numpy(width).alias("width"), eager=True
        )

    bands = pl.col(close).map_batches(
        run, return_dtype=pl.Struct({"pct_b": pl.Float64, "width": pl.Float64})
    )
    return bands.struct.field("pct_b"), bands.struct.field("width")


def adx(*, period: int, high: str = "high", low: str = "low", close: str = "close") -> pl.Expr:
    """Wilder's ADX(period) in [0, 100] (TA-Lib ADX); first value on row 2 * period - 1.

    +DM/-DM (and TR, which cancels out of DX) are Wilder-smoothed from a seed of the sum of
    their first period-1 values (TA-Lib's sums; the DI ratios are the same for sums and
    averages), DX comes from row `period` on, and the ADX is the Wilder average of DX seeded
    with its first `period` values.
    """
    if period < 2:
        raise ValueError(f"ADX period must be >= 2, got {period}")

    def run(columns: pl.Series) -> pl.Series:
        frame = columns.struct.unnest()
        return _from_numpy(
            kernels.adx(_to_numpy(frame.get_column(high)), _to_numpy(frame.get_column(low)), period)
        )

    return pl.struct(high, low).map_batches(run, return_dtype=pl.Float64)


def stochastic(
    *, period: int, smooth: int, high: str = "high", low: str = "low", close: str = "close"
) -> tuple[pl.Expr, pl.Expr]:
    """(slow %K, slow %D) of TA-Lib STOCH(fastk=period, slowk=smooth SMA, slowd=smooth SMA).

    fast %K = 100 * (close - lowest low) / (highest high - lowest low) over `period` bars; 0
    when the range is empty (TA-Lib's convention).
    """
    _check_period(period)
    _check_period(smooth)

    def run(columns: pl.Series) -> pl.Series:
        frame = columns.struct.unnest()
        h, lo, c = (_to_numpy(frame.get_column(name)) for name in (high, low, close))
        slow_k, slow_d = kernels.stochastic(h, lo, c, period, smooth)
        return pl.struct(_from_numpy(slow_k).alias("k"), _from_numpy(slow_d).alias("d"), eager=True)

    both = pl.struct(high, low, close).map_batches(
        run, return_dtype=pl.Struct({"k": pl.Float64, "d": pl.Float64})
    )
    return both.struct.field("k"), both.struct.field("d")


def realized_volatility(*, window: int, close: str = "close") -> pl.Expr:
    """Sample std (ddof=1) of the last `window` one-bar log returns (not annualised)."""
    if window < 2:
        raise ValueError(f"realised volatility window must be >= 2, got {window}")
    return log_return(period=1, close=close).rolling_std(window, min_samples=window, ddof=1)


def volume_zscore(*, window: int, volume: str = "volume") -> pl.Expr:
    """(volume - mean) / std over the last `window` bars including the current one.

    The standard deviation is the sample one (ddof=1). A window of identical volumes has no
    spread; its z-score is 0 rather than 0/0.
    """
    if window < 2:
        raise ValueError(f"volume z-score window must be >= 2, got {window}")
    mean = pl.col(volume).rolling_mean(window, min_samples=window)
    std = pl.col(volume).rolling_std(window, min_samples=window, ddof=1)
    return (
        pl.when(std.is_null())
        .then(None)
        .when(std == 0.0)
        .then(0.0)
        .otherwise((pl.col(volume) - mean) / std)
    )


def vwap_distance(*, window: int) -> pl.Expr:
    """close / rolling VWAP - 1, the VWAP over the last `window` bars weighted by volume.

    A bar's price is its own VWAP when it has one (bars from trades) and its typical price
    (high + low + close) / 3 otherwise (candle imports). A window without volume gives null.
    """
    _check_period(window)
    typical = (pl.col("high") + pl.col("low") + pl.col("close")) / 3.0
    price = pl.coalesce(pl.col("vwap"), typical)
    notional = (price * pl.col("volume")).rolling_sum(window, min_samples=window)
    volume = pl.col("volume").rolling_sum(window, min_samples=window)
    return pl.col("close") / (notional / volume) - 1.0


def _check_period(period: int) -> None:
    if period <= 0:
        raise ValueError(f"period must be positive, got {period}")
