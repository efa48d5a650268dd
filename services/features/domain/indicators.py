"""Technical indicators as pure polars expressions over one timeframe's bars.

Every builder returns an `Expr` evaluated over a frame of bars sorted by `open_time`, one row
per bar. Periods count *bars* (rows) of that timeframe: a minute without trades has no bar, so
"5 bars back" is the fifth earlier bar that exists. Each value uses only its own row and earlier
rows. Warm-up rows, where a full window is not yet available, are null.

Recursive averages (EMA, Wilder) are seeded the way TA-Lib seeds them: the first value is the
simple mean of the first N inputs, placed on the row where N inputs exist; from there on
``avg[t] = alpha * x[t] + (1 - alpha) * avg[t-1]``. So the output does not depend on anything
before the first row, and a plain loop in that definition reproduces it exactly.
"""

from __future__ import annotations

import polars as pl


def log_return(*, period: int, close: str = "close") -> pl.Expr:
    """ln(close[t] / close[t - period]); the first `period` rows are null."""
    _check_period(period)
    return (pl.col(close) / pl.col(close).shift(period)).log()


def seeded_ewm(values: pl.Expr, *, period: int, alpha: float) -> pl.Expr:
    """Recursive average seeded with the simple mean of the first `period` non-null values.

    Leading nulls in `values` (e.g. a first difference) are skipped: with one leading null the
    seed lands on row `period`, as in TA-Lib's RSI and ATR. Rows before the seed are null.
    """
    _check_period(period)
    seed = values.rolling_mean(period, min_samples=period)
    seeds_so_far = seed.is_not_null().cast(pl.Int64).cum_sum()
    # Rows before the seed stay null (no otherwise branch).
    seeded_input = pl.when(seeds_so_far == 1).then(seed).when(seeds_so_far > 1).then(values)
    return seeded_input.ewm_mean(alpha=alpha, adjust=False, ignore_nulls=False)


def ema(*, period: int, column: str = "close") -> pl.Expr:
    """EMA with alpha = 2 / (period + 1), seeded with the SMA of the first `period` values."""
    return seeded_ewm(pl.col(column), period=period, alpha=2.0 / (period + 1))


def ema_distance(*, period: int, close: str = "close") -> pl.Expr:
    """close / EMA(period) - 1: how far price is above its average, in units of the average."""
    return pl.col(close) / ema(period=period, column=close) - 1.0


def rsi(*, period: int, close: str = "close") -> pl.Expr:
    """Wilder's RSI in [0, 100]; first value on row `period`.

    Gains and losses of close-to-close changes are averaged with alpha = 1 / period. With no
    losses the RSI is 100; with neither gains nor losses (a flat window) it is 50.
    """
    change = pl.col(close).diff()
    avg_gain = seeded_ewm(change.clip(lower_bound=0.0), period=period, alpha=1.0 / period)
    avg_loss = seeded_ewm((-change).clip(lower_bound=0.0), period=period, alpha=1.0 / period)
    # 100 - 100 / (1 + gain/loss) rewritten as 100 * gain / (gain + loss): no special case for
    # loss == 0, and only 0/0 (a flat window) is left to define.
    return (100.0 * avg_gain / (avg_gain + avg_loss)).fill_nan(50.0)


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


def atr_ratio(*, period: int, close: str = "close") -> pl.Expr:
    """Wilder's ATR(period) divided by close, so it is comparable across price levels."""
    atr = seeded_ewm(true_range(close=close), period=period, alpha=1.0 / period)
    return atr / pl.col(close)


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


def _check_period(period: int) -> None:
    if period <= 0:
        raise ValueError(f"period must be positive, got {period}")
