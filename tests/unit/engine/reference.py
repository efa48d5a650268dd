"""An independent, plain-Python implementation of the EV engine's contract (issue 9, "The
contract"; `docs/backtest.md`), written from the contract text alone, never from the engine.

It is deliberately a simple per-bar loop over Python lists (no numba, no numpy): every rule of
the contract is one visible step below, numbered as in the contract. The tests run it beside
`services.engine.simulate` and demand the same trades and the same final equity.

Readings taken where the contract leaves room (each also stated where it is used):

- "bars held" counts rows (a missing bar is absent, so it is not held).
- The candidate is the best allowed side; in position, a best side equal to the position's side
  is "a same-side candidate" and is ignored even if the other side also clears the margin.
- An exact long/short tie means equal EVs (both sides considered); it gives no candidate.
- A null or NaN `atr`, or `atr <= 0`, gives no signal on either side; a null or NaN
  probability gives no signal on its side.
- Detail bars are walked only when the parent bar's range holds both levels (rule 3c); a detail
  bar is the parent's "first" when it is the first detail row inside the parent.
- "At or beyond": a long stops when a price is <= its stop, takes profit when >= its target;
  a short mirrored (levels are never both reached by one price, since stop < E < target).
- A `time` exit's re-entry and a `flip` enter at the same open with levels from the atr of the
  bar whose close decided it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import polars as pl

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RuleLike(Protocol):
    k_tp: float
    k_sl: float
    ev_margin: float
    fee_bps: float
    slippage_bps: float
    max_hold_bars: int
    on_opposite: str
    sides: str


@dataclass(frozen=True)
class RefResult:
    """Closed trades (dicts with the engine's TRADE_SCHEMA keys, times as UTC datetimes) and
    the final equity (1.0 compounded by each trade's net return)."""

    trades: list[dict[str, Any]]
    equity: float
    equity_gross: float
    # equity as of each bar's close (docs/backtest.md, "Outputs"): closed trades compounded, an
    # open position marked at the close with its entry fee paid (long equity*(close/E' - f),
    # short equity*(2 - close/E' - f)); the end exit is counted at the last bar
    realised: list[float] = field(default_factory=list)
    position: list[int] = field(default_factory=list)


def _ms(series: pl.Series) -> list[int]:
    if series.dtype == pl.Int64:
        return [int(v) for v in series.to_list()]
    return [int(v) for v in series.cast(pl.Datetime("ms", "UTC")).dt.epoch("ms").to_list()]


def _time(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@dataclass
class _Position:
    side: int  # 1 long, -1 short
    signal_index: int
    entry_index: int
    probability: float
    expected_value: float
    entry_price: float
    take_profit: float
    stop_loss: float


def ev(p: float, atr: float, close: float, k_tp: float, k_sl: float, cost: float) -> float:
    """Rule 1: EV = p*tp - (1-p)*sl - 2(f+s), tp = k_tp*atr/close, sl = k_sl*atr/close."""
    tp = k_tp * atr / close
    sl = k_sl * atr / close
    return p * tp - (1.0 - p) * sl - cost


def candidate(
    p_long: Any, p_short: Any, atr: Any, close: float, rule: RuleLike
) -> tuple[int, float, float] | None:
    """Rule 1: (side, p, EV) of the candidate at a bar's close, or None."""
    if _missing(atr) or not atr > 0:
        return None
    f = rule.fee_bps / 1e4
    s = rule.slippage_bps / 1e4
    cost = 2.0 * (f + s)
    options: list[tuple[int, float, float]] = []
    if rule.sides in ("long", "both") and not _missing(p_long):
        options.append((1, p_long, ev(p_long, atr, close, rule.k_tp, rule.k_sl, cost)))
    if rule.sides in ("short", "both") and not _missing(p_short):
        options.append((-1, p_short, ev(p_short, atr, close, rule.k_tp, rule.k_sl, cost)))
    if not options:
        return None
    if len(options) == 2:
        if options[0][2] == options[1][2]:
            return None  # an exact tie between long and short: no candidate
        best = options[0] if options[0][2] > options[1][2] else options[1]
    else:
        best = options[0]
    return best if best[2] > rule.ev_margin else None


def reference_simulate(
    bars: pl.DataFrame,
    signals: pl.DataFrame,
    rule: RuleLike,
    detail: pl.DataFrame | None = None,
) -> RefResult:
    """Run the contract over `bars` (open_time, open, high, low, close; time order, gaps
    allowed), `signals` (open_time, p_long, p_short, atr; a bar without a row has no signal)
    and optional 1m `detail` bars. Returns the closed trades and the equity."""
    times = _ms(bars["open_time"])
    opens = [float(v) for v in bars["open"].to_list()]
    highs = [float(v) for v in bars["high"].to_list()]
    lows = [float(v) for v in bars["low"].to_list()]
    closes = [float(v) for v in bars["close"].to_list()]
    n = len(times)
    f = rule.fee_bps / 1e4
    s = rule.slippage_bps / 1e4

    sig: dict[int, tuple[Any, Any, Any]] = {}
    sig_times = _ms(signals["open_time"])
    cols = {
        c: signals[c].to_list() if c in signals.columns else None for c in ("p_long", "p_short")
    }
    atrs = signals["atr"].to_list()
    for k, t in enumerate(sig_times):
        pl_ = cols["p_long"][k] if cols["p_long"] is not None else None
        ps_ = cols["p_short"][k] if cols["p_short"] is not None else None
        sig[t] = (pl_, ps_, atrs[k])

    # detail bars of each parent: open_time in [t_j, t_j + bar length), bar length = smallest gap
    children: list[list[tuple[float, float, float]]] = [[] for _ in range(n)]
    if detail is not None and n > 0:
        length = min((times[j + 1] - times[j] for j in range(n - 1)), default=0)
        d_times = _ms(detail["open_time"])
        d_rows = zip(
            d_times,
            detail["open"].to_list(),
            detail["high"].to_list(),
            detail["low"].to_list(),
            strict=True,
        )
        j = 0
        for t, o, h, lo in sorted(d_rows):
            while j < n and t >= times[j] + length:
                j += 1
            if j == n:
                break
            if t >= times[j]:
                children[j].append((float(o), float(h), float(lo)))

    trades: list[dict[str, Any]] = []
    equity = 1.0
    equity_gross = 1.0
    realised: list[float] = []
    position_at_close: list[int] = []
    pos: _Position | None = None

    def close_trade(
        p: _Position, exit_index: int, price: float, reason: str, bars_held: int
    ) -> None:
        nonlocal equity, equity_gross
        market = reason != "take_profit"  # rule 6: slippage on every market fill, none on a TP
        entry_fill = p.entry_price * (1 + s) if p.side == 1 else p.entry_price * (1 - s)
        exit_fill = price
        if market:
            exit_fill = price * (1 - s) if p.side == 1 else price * (1 + s)
        ratio = exit_fill / entry_fill
        fees = f * (1 + ratio)
        if p.side == 1:
            net = ratio - 1 - fees
            gross = price / p.entry_price - 1
        else:
            net = 1 - ratio - fees
            gross = 1 - price / p.entry_price
        equity *= 1 + net
        equity_gross *= 1 + gross
        trades.append(
            {
                "side": "long" if p.side == 1 else "short",
                "signal_time": _time(times[p.signal_index]),
                "entry_time": _time(times[p.entry_index]),
                "exit_time": _time(times[exit_index]),
                "probability": p.probability,
                "expected_value": p.expected_value,
                "entry_price": p.entry_price,
                "exit_price": price,
                "take_profit": p.take_profit,
                "stop_loss": p.stop_loss,
                "entry_fill": entry_fill,
                "exit_fill": exit_fill,
                "exit_reason": reason,
                "net_return": net,
                "gross_return": gross,
                "fees": fees,
                "slippage": gross - net - fees,
                "bars_held": bars_held,
            }
        )

    def open_position(cand: tuple[int, float, float], signal_index: int) -> _Position:
        # Rule 2: raw E = next open; levels from E and the deciding bar's atr
        side, p, value = cand
        atr = float(sig[times[signal_index]][2])
        entry = opens[signal_index + 1]
        if side == 1:
            tp, sl = entry + rule.k_tp * atr, entry - rule.k_sl * atr
        else:
            tp, sl = entry - rule.k_tp * atr, entry + rule.k_sl * atr
        return _Position(side, signal_index, signal_index + 1, p, value, entry, tp, sl)

    def hit_stop(p: _Position, price: float) -> bool:
        return price <= p.stop_loss if p.side == 1 else price >= p.stop_loss

    def hit_target(p: _Position, price: float) -> bool:
        return price >= p.take_profit if p.side == 1 else price <= p.take_profit

    def range_hits(p: _Position, high: float, low: float) -> tuple[bool, bool]:
        if p.side == 1:
            return low <= p.stop_loss, high >= p.take_profit
        return high >= p.stop_loss, low <= p.take_profit

    pending_exit: str | None = None  # a market exit at the next bar's open: "time" or "signal"
    pending: _Position | None = None  # a position to open at the next bar's open
    for j in range(n):
        if pending_exit is not None and pos is not None:
            close_trade(pos, j, opens[j], pending_exit, j - pos.entry_index)
            pos, pending_exit = None, None
        if pending is not None:
            pos, pending = pending, None
        # Rule 3, bar j from the entry bar on
        if pos is not None:
            exit_: tuple[float, str] | None = None
            if j > pos.entry_index:  # (a) gaps at the open, after the entry bar only
                if hit_stop(pos, opens[j]):
                    exit_ = (opens[j], "stop")
                elif hit_target(pos, opens[j]):
                    exit_ = (opens[j], "take_profit")
                if exit_ is not None:
                    close_trade(pos, j, exit_[0], exit_[1], j - pos.entry_index)
                    pos = None
            if pos is not None:
                stop_hit, target_hit = range_hits(pos, highs[j], lows[j])
                if stop_hit and target_hit:  # (c) walk the detail bars
                    exit_ = (pos.stop_loss, "stop")  # what cannot be decided counts the stop
                    for k, (o, h, lo) in enumerate(children[j]):
                        if k > 0 and hit_stop(pos, o):
                            exit_ = (o, "stop")
                            break
                        if k > 0 and hit_target(pos, o):
                            exit_ = (o, "take_profit")
                            break
                        d_stop, d_target = range_hits(pos, h, lo)
                        if d_stop:  # alone, or both inside one detail bar: the stop
                            exit_ = (pos.stop_loss, "stop")
                            break
                        if d_target:
                            exit_ = (pos.take_profit, "take_profit")
                            break
                elif stop_hit:  # (b)
                    exit_ = (pos.stop_loss, "stop")
                elif target_hit:
                    exit_ = (pos.take_profit, "take_profit")
                if exit_ is not None:
                    close_trade(pos, j, exit_[0], exit_[1], j - pos.entry_index + 1)
                    pos = None

        if j == n - 1:  # no decision at the last bar; rule 5: data ends in position
            position_at_close.append(pos.side if pos is not None else 0)
            if pos is not None:
                close_trade(pos, j, closes[j], "end", j - pos.entry_index + 1)
                pos = None
            realised.append(equity)
            break

        row = sig.get(times[j])
        cand = candidate(row[0], row[1], row[2], closes[j], rule) if row is not None else None
        if pos is None:  # rule 2: flat
            if cand is not None:
                pending = open_position(cand, j)
        elif j - pos.entry_index + 1 >= rule.max_hold_bars:  # rule 4: time exit at next open
            pending_exit = "time"
            if cand is not None:  # the flat rule applies at the same close
                pending = open_position(cand, j)
        elif cand is not None and cand[0] != pos.side and rule.on_opposite != "ignore":
            pending_exit = "signal"  # an opposite candidate with `close` or `flip`
            if rule.on_opposite == "flip":
                pending = open_position(cand, j)
        # a same-side candidate in position, or `ignore`: nothing
        realised.append(equity if pos is None else equity * _mark(pos, closes[j], f, s))
        position_at_close.append(pos.side if pos is not None else 0)

    return RefResult(trades, equity, equity_gross, realised, position_at_close)


def _mark(pos: _Position, close: float, f: float, s: float) -> float:
    """What one unit of equity in `pos` is worth at `close`, its entry fee paid."""
    entry_fill = pos.entry_price * (1 + s) if pos.side == 1 else pos.entry_price * (1 - s)
    ratio = close / entry_fill
    return ratio - f if pos.side == 1 else 2 - ratio - f


def trades_frame(trades: list[dict[str, Any]]) -> pl.DataFrame:
    """The reference's trades as a polars frame in the engine's column order."""
    return pl.DataFrame(trades) if trades else pl.DataFrame()
