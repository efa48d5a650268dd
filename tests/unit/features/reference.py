"""Plain-Python reference indicators, written from the textbook definitions with loops, so the
polars implementation is checked against an independent computation."""

from __future__ import annotations

import math
import statistics

Values = list[float | None]


def log_returns(close: list[float], n: int) -> Values:
    return [None if i < n else math.log(close[i] / close[i - n]) for i in range(len(close))]


def ema(close: list[float], n: int) -> Values:
    """SMA of the first n values on row n-1, then ema = a*x + (1-a)*ema_prev, a = 2/(n+1)."""
    a = 2.0 / (n + 1)
    out: Values = [None] * len(close)
    if len(close) < n:
        return out
    prev = sum(close[:n]) / n
    out[n - 1] = prev
    for i in range(n, len(close)):
        prev = a * close[i] + (1 - a) * prev
        out[i] = prev
    return out


def ema_distance(close: list[float], n: int) -> Values:
    return [None if e is None else c / e - 1 for c, e in zip(close, ema(close, n), strict=True)]


def _wilder(values: list[float], n: int) -> list[float | None]:
    """values[0] is the first input (which belongs to row 1); returns one entry per input."""
    out: list[float | None] = [None] * len(values)
    if len(values) < n:
        return out
    prev = sum(values[:n]) / n
    out[n - 1] = prev
    for i in range(n, len(values)):
        prev = (prev * (n - 1) + values[i]) / n
        out[i] = prev
    return out


def rsi(close: list[float], n: int) -> Values:
    changes = [close[i] - close[i - 1] for i in range(1, len(close))]
    gains = _wilder([max(c, 0.0) for c in changes], n)
    losses = _wilder([max(-c, 0.0) for c in changes], n)
    out: Values = [None]
    for g, loss in zip(gains, losses, strict=True):
        if g is None or loss is None:
            out.append(None)
        elif loss == 0:
            out.append(50.0 if g == 0 else 100.0)
        else:
            out.append(100 - 100 / (1 + g / loss))
    return out


def atr_ratio(high: list[float], low: list[float], close: list[float], n: int) -> Values:
    trs = [
        max(high[i] - low[i], abs(high[i] - close[i - 1]), abs(low[i] - close[i - 1]))
        for i in range(1, len(close))
    ]
    atr = [None, *_wilder(trs, n)]
    return [None if a is None else a / c for a, c in zip(atr, close, strict=True)]


def volume_z(volume: list[float], n: int) -> Values:
    out: Values = []
    for i in range(len(volume)):
        if i < n - 1:
            out.append(None)
            continue
        window = volume[i - n + 1 : i + 1]
        sd = statistics.stdev(window)
        out.append(0.0 if sd == 0 else (volume[i] - statistics.fmean(window)) / sd)
    return out
