"""Trades already in memory -> 1m bars: ours beside polars group_by_dynamic and pandas resample,
all computing the same columns (OHLCV, buy/sell volume, trade count, vwap) in the same run.

.venv/bin/python -m bench.bars_in_memory [--trades 20000000] [--repeats 5]
"""

from __future__ import annotations

import argparse

import pandas as pd
import polars as pl

from bench.common import interleaved_medians, polars_bar_aggs, synthetic_trades
from services.ingest.domain.bars import bars_from_trades


def polars_bars(trades: pl.DataFrame) -> pl.DataFrame:
    return trades.group_by_dynamic("timestamp", every="1m").agg(polars_bar_aggs())


def pandas_bars(frame: pd.DataFrame) -> pd.DataFrame:
    buy = frame["side"] == "Buy"
    frame = frame.assign(
        buy_size=frame["size"].where(buy, 0.0),
        sell_size=frame["size"].where(~buy, 0.0),
        notional=frame["price"] * frame["size"],
    )
    grouped = frame.resample("1min")
    out = grouped["price"].ohlc()
    sums = grouped[["size", "buy_size", "sell_size", "notional"]].sum()
    out["volume"] = sums["size"]
    out["buy_volume"] = sums["buy_size"]
    out["sell_volume"] = sums["sell_size"]
    out["trade_count"] = grouped["price"].count()
    out["vwap"] = sums["notional"] / sums["size"]
    return out[out["trade_count"] > 0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trades", type=int, default=20_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    trades = synthetic_trades(args.trades)
    frame = pd.DataFrame(  # no pyarrow here: build pandas from numpy
        {c: trades[c].to_numpy() for c in ("price", "size", "side")},
        index=pd.DatetimeIndex(trades["timestamp"].dt.replace_time_zone(None).to_numpy()),
    )

    ours = bars_from_trades(trades)
    theirs = polars_bars(trades)
    assert ours.height == theirs.height, (ours.height, theirs.height)
    assert ours["trade_count"].to_list() == theirs["trade_count"].to_list()

    n = args.trades
    results = interleaved_medians(
        {
            "trady bars_from_trades": lambda: bars_from_trades(trades),
            "polars group_by_dynamic": lambda: polars_bars(trades),
            "pandas resample": lambda: pandas_bars(frame),
        },
        args.repeats,
    )
    ours_s = results["trady bars_from_trades"]
    print(f"{n:,} trades in memory -> {ours.height:,} 1m bars (median of {args.repeats})")
    for name, seconds in results.items():
        print(
            f"  {name:<26} {seconds * 1000:8.1f} ms  {n / seconds / 1e6:7.1f} M trades/s  "
            f"ours is {seconds / ours_s:5.2f}x faster"
        )


if __name__ == "__main__":
    main()
