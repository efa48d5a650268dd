"""EMA-touch pullback label (long and short) with a triple barrier.

An event is a bar of the label timeframe (`timeframe`, length L) whose range touches its
EMA(touch_ema) (low <= EMA <= high) while the trend holds as of that bar's close: on
`trend_timeframe`, EMA(fast) above EMA(slow) (below, for short) and ADX >= adx_floor, from
trend bars that had closed by then. Entry is the next bar's open (which must open right
after the event bar, or the event is dropped). With the event bar's ATR:
take profit at entry + k_tp * ATR, stop at entry - k_sl * ATR (mirrored for short), and a
time barrier after H bars of L minutes from the entry.

Barriers are checked on each bar's high and low. When one bar reaches both, its 1m bars are
scanned in order; if one 1m bar reaches both (or the 1m bars are missing), the stop counts:
the conservative reading, as the order inside a bar is unknown.

Outputs on the 1m row whose close is the event bar's close: `label` 1 (take profit) or 0
(stop or time barrier), `label_r` the realised R multiple (k_tp / k_sl, -1, or the time
barrier's close-to-entry move in units of k_sl * ATR), `label_bars` bars from entry to the
outcome (1 = the entry bar). Non-event rows and unresolved events (data ends first) are null.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from services.features.domain import indicators
from services.features.domain.config import TIMEFRAME_MINUTES, PullbackLabel
from services.features.domain.labels import LABEL, LABEL_BARS, LABEL_DTYPE, LABEL_EVENT, LABEL_R

MINUTE_MS = 60_000
TIME = "open_time"
_TP, _SL, _NONE = 1, -1, 0


def _epoch_ms(frame: pl.DataFrame) -> np.ndarray:
    return frame.get_column(TIME).dt.epoch("ms").to_numpy()


def events(bars: pl.DataFrame, trend_bars: pl.DataFrame, config: PullbackLabel) -> pl.DataFrame:
    """Event bars of the label timeframe: open_time, is_event, the event bar's ATR."""
    length = pl.duration(minutes=TIMEFRAME_MINUTES[config.timeframe])
    trend_length = pl.duration(minutes=TIMEFRAME_MINUTES[config.trend_timeframe])
    trend = (
        trend_bars.sort(TIME)
        .select(
            (pl.col(TIME) + trend_length).alias("_known"),
            (
                indicators.ema(period=config.trend_fast_ema)
                - indicators.ema(period=config.trend_slow_ema)
            ).alias("_spread"),
            indicators.adx(period=config.adx_period).alias("_adx"),
        )
        .drop_nulls()
    )
    base = bars.sort(TIME).with_columns(
        (pl.col(TIME) + length).alias("_known"),
        indicators.ema(period=config.touch_ema).alias("_ema"),
        indicators.atr(period=config.atr_period).alias("_atr"),
    )
    joined = base.join_asof(trend, on="_known", strategy="backward")
    direction = pl.col("_spread") > 0 if config.side == "long" else pl.col("_spread") < 0
    touch = (pl.col("low") <= pl.col("_ema")) & (pl.col("_ema") <= pl.col("high"))
    is_event = (direction & (pl.col("_adx") >= config.adx_floor) & touch).fill_null(False)
    return joined.select(
        TIME,
        "open",
        "high",
        "low",
        "close",
        is_event.alias("is_event"),
        pl.col("_atr").alias("atr"),
    )


def pullback_label(
    one_minute: pl.DataFrame, bars: pl.DataFrame, trend_bars: pl.DataFrame, config: PullbackLabel
) -> pl.DataFrame:
    """(open_time of the 1m row, label_event, label, label_r, label_bars) for every event;
    the label columns are null where the event is unresolved (the data ends first, or the
    next bar does not open right after the event bar).

    Args:
        one_minute: 1m bars (open_time, high, low), for intra-bar resolution.
        bars: bars of `config.timeframe`; trend_bars: bars of `config.trend_timeframe`.
    """
    marked = events(bars, trend_bars, config)
    last_minute = pl.duration(minutes=TIMEFRAME_MINUTES[config.timeframe] - 1)
    event_rows = marked.filter("is_event").select(
        (pl.col(TIME).cast(pl.Datetime("ms", "UTC")) + last_minute).alias(TIME),
        pl.lit(True).alias(LABEL_EVENT),
    )
    outcomes = resolve(marked, one_minute, config)
    return event_rows.join(outcomes, on=TIME, how="left", maintain_order="left")


def resolve(marked: pl.DataFrame, one_minute: pl.DataFrame, config: PullbackLabel) -> pl.DataFrame:
    """The triple barrier for each event row of `marked` (open_time, OHLC, is_event, atr)."""
    length_ms = TIMEFRAME_MINUTES[config.timeframe] * MINUTE_MS
    times = _epoch_ms(marked)
    opens, highs, lows, closes = (
        marked.get_column(c).to_numpy() for c in ("open", "high", "low", "close")
    )
    atrs = marked.get_column("atr").to_numpy()
    minute = one_minute.sort(TIME)
    m_times = _epoch_ms(minute)
    m_highs, m_lows = minute.get_column("high").to_numpy(), minute.get_column("low").to_numpy()
    data_end = int(m_times[-1]) if len(m_times) else -1
    sign = 1.0 if config.side == "long" else -1.0
    out_time, out_label, out_r, out_bars = [], [], [], []
    for i in np.flatnonzero(marked.get_column("is_event").to_numpy()):
        entry_i = i + 1
        if entry_i >= len(times) or times[entry_i] != times[i] + length_ms:
            continue
        entry, risk = opens[entry_i], atrs[i]
        tp = entry + sign * config.k_tp * risk
        sl = entry - sign * config.k_sl * risk
        stop_at = times[entry_i] + config.horizon_bars * length_ms
        last = int(np.searchsorted(times, stop_at, side="left"))
        outcome: int = _NONE
        bars_taken = 0
        for j in range(entry_i, last):
            tp_hit, sl_hit = _hits(sign, highs[j], lows[j], tp, sl)
            if tp_hit and sl_hit:
                lo, hi = np.searchsorted(m_times, [times[j], times[j] + length_ms])
                outcome = _inside(sign, m_highs[lo:hi], m_lows[lo:hi], tp, sl)
            elif tp_hit or sl_hit:
                outcome = _TP if tp_hit else _SL
            if outcome != _NONE:
                bars_taken = int(j - entry_i + 1)
                break
        if outcome == _NONE:
            if data_end < stop_at - MINUTE_MS or last <= entry_i:
                continue  # the time barrier is not reached in the data: unresolved
            bars_taken = config.horizon_bars
            r = sign * (closes[last - 1] - entry) / (config.k_sl * risk)
        else:
            r = config.k_tp / config.k_sl if outcome == _TP else -1.0
        out_time.append(times[i] + length_ms - MINUTE_MS)
        out_label.append(1 if outcome == _TP else 0)
        out_r.append(float(r))
        out_bars.append(bars_taken)
    return pl.DataFrame(
        {TIME: out_time, LABEL: out_label, LABEL_R: out_r, LABEL_BARS: out_bars},
        schema={
            TIME: pl.Int64,
            LABEL: LABEL_DTYPE,
            LABEL_R: pl.Float64,
            LABEL_BARS: pl.Int32,
        },
    ).with_columns(pl.col(TIME).cast(pl.Datetime("ms", "UTC")))


def _hits(sign: float, high: float, low: float, tp: float, sl: float) -> tuple[bool, bool]:
    if sign > 0:
        return bool(high >= tp), bool(low <= sl)
    return bool(low <= tp), bool(high >= sl)


def _inside(sign: float, highs: np.ndarray, lows: np.ndarray, tp: float, sl: float) -> int:
    """Which barrier the 1m bars inside one bar reach first; the stop when undecidable."""
    for high, low in zip(highs, lows, strict=True):
        tp_hit, sl_hit = _hits(sign, float(high), float(low), tp, sl)
        if sl_hit:
            return _SL  # alone, or together with the take profit in one 1m bar
        if tp_hit:
            return _TP
    return _SL
