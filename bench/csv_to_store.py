"""CSV file -> stored trades and 1m bars, end to end: `IngestService.ingest_file` beside
(a) a pandas script doing the same (C-engine read_csv, 1m bars, trades and bars written as
Parquet) and, for .gz files, (b) polars' streaming scan_csv -> bars (the issue's peer, which
scans the file twice) and (c) the same polars query scanning it once, in the same run.

The pandas peer writes Parquet through polars (pyarrow, which pandas needs for Parquet, is not
installed here); the conversion is zero-copy for its numeric columns. The peers validate
nothing and de-duplicate nothing; ours does both.

.venv/bin/python -m bench.csv_to_store [--rows 5000000] [--repeats 3] [--gz]
"""

from __future__ import annotations

import argparse
import functools
import gzip
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from bench.common import interleaved_medians, polars_bar_aggs
from bench.files import write_trade_csv
from services.ingest.bar_store import BarStore
from services.ingest.service import IngestService
from services.ingest.store import TradeStore


def ours(path: Path, out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    IngestService(TradeStore(out), BarStore(out)).ingest_file(str(path), "BTCUSDT")


def pandas_script(path: Path, out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    frame = pd.read_csv(path, engine="c")  # gzip by extension
    frame["timestamp"] = pd.to_datetime((frame["timestamp"] * 1e6).round().astype(np.int64),
                                        unit="us", utc=True)  # fmt: skip
    frame = frame.sort_values("timestamp", kind="stable")
    buy = frame["side"] == "Buy"
    frame["buy_size"] = frame["size"].where(buy, 0.0)
    frame["sell_size"] = frame["size"].where(~buy, 0.0)
    frame["notional"] = frame["price"] * frame["size"]
    grouped = frame.set_index("timestamp").resample("1min")
    bars = grouped["price"].ohlc()
    sums = grouped[["size", "buy_size", "sell_size", "notional"]].sum()
    bars["volume"] = sums["size"]
    bars["buy_volume"] = sums["buy_size"]
    bars["sell_volume"] = sums["sell_size"]
    bars["trade_count"] = grouped["price"].count()
    bars["vwap"] = sums["notional"] / sums["size"]
    bars = bars[bars["trade_count"] > 0].reset_index()
    trades = {c: frame[c].to_numpy() for c in ("price", "size")}
    trades.update({c: frame[c].to_numpy().astype("U") for c in ("side", "tickDirection")})
    trades["timestamp"] = frame["timestamp"].dt.tz_localize(None).to_numpy()
    pl.DataFrame(trades).write_parquet(out / "trades.parquet")
    bars["timestamp"] = bars["timestamp"].dt.tz_localize(None)
    pl.DataFrame({c: bars[c].to_numpy() for c in bars.columns}).write_parquet(out / "1m.parquet")


def _polars_trades_and_bars(path: Path) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    trades = pl.scan_csv(path).with_columns(
        (pl.col("timestamp") * 1e6).round().cast(pl.Int64).cast(pl.Datetime("us", "UTC"))
    )
    bars = (
        trades.sort("timestamp", maintain_order=True)
        .group_by_dynamic("timestamp", every="1m")
        .agg(polars_bar_aggs())
    )
    return trades, bars


def polars_streaming(path: Path, out: Path) -> None:
    """The issue's peer: trades sunk to Parquet, then bars collected (two scans of the file)."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    trades, bars = _polars_trades_and_bars(path)
    trades.sink_parquet(out / "trades.parquet")
    bars.collect(engine="streaming").write_parquet(out / "1m.parquet")


def polars_one_scan(path: Path, out: Path) -> None:
    """The same query with both sinks collected together, so polars scans and inflates the
    file once: the strongest polars variant we know, measured beside the issue's peer."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    trades, bars = _polars_trades_and_bars(path)
    sinks = [
        trades.sink_parquet(out / "trades.parquet", lazy=True),
        bars.sink_parquet(out / "1m.parquet", lazy=True),
    ]
    pl.collect_all(sinks, engine="streaming")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gz", action="store_true", help="gzip the input file")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        path = write_trade_csv(work / ("trades.csv.gz" if args.gz else "trades.csv"), args.rows)
        raw_mb = (len(gzip.decompress(path.read_bytes())) if args.gz else path.stat().st_size) / 1e6
        peers = {"trady ingest_file": ours, "pandas script": pandas_script}
        if args.gz:
            peers["polars scan_csv streaming"] = polars_streaming
            peers["polars, one scan"] = polars_one_scan
        out = work / "out"
        results = interleaved_medians(
            {name: functools.partial(fn, path, out) for name, fn in peers.items()}, args.repeats
        )
        ours_s = results["trady ingest_file"]
        print(f"{args.rows:,} trades, {raw_mb:,.0f} MB of CSV{' (gzip)' if args.gz else ''} "
              f"-> stored trades + 1m bars (median of {args.repeats})")  # fmt: skip
        for name, seconds in results.items():
            print(f"  {name:<27} {seconds:7.2f} s  {raw_mb / seconds:7.1f} MB/s  "
                  f"ours is {seconds / ours_s:5.2f}x faster")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
