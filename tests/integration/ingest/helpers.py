"""Shared pieces for ingest integration tests: sample-derived files and store snapshots."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl

from services.ingest.bar_store import BarStore
from services.ingest.domain.resample import TIMEFRAMES
from services.ingest.service import IngestService
from services.ingest.store import TradeStore
from tests.conftest import SAMPLE

SPOT = SAMPLE / "trades" / "binance_spot_BTCUSDT_20240808T235415_20240809T000505.csv.gz"
FEATHER = SAMPLE / "candles" / "binance_spot_BTCUSDT_1m_20250520-20250818.feather"
SYMBOL = "BTCUSDT"


def build_service(data_dir: Path) -> IngestService:
    return IngestService(TradeStore(data_dir), BarStore(data_dir))


def sample_lines() -> tuple[str, list[str]]:
    header, *lines = gzip.decompress(SPOT.read_bytes()).decode().splitlines()
    return header, lines


def write_slice(path: Path, start: int, stop: int) -> Path:
    """Lines [start, stop) of the spot sample, cut at second boundaries (so tie groups of
    equal timestamps are never split between two files)."""
    header, lines = sample_lines()
    seconds = [line.split(".", 1)[0] for line in lines]
    while 0 < start < len(lines) and seconds[start] == seconds[start - 1]:
        start -= 1
    while 0 < stop < len(lines) and seconds[stop] == seconds[stop - 1]:
        stop += 1
    path.write_text("\n".join([header, *lines[start:stop]]) + "\n")
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` with its bytes."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def stored_frames(root: Path, symbol: str = SYMBOL) -> dict[str, pl.DataFrame]:
    """The decoded store of a symbol: each trade day and each timeframe's bars."""
    trades = TradeStore(root)
    bars = BarStore(root)
    frames = {f"trades/{day}": trades.read_day(symbol, day) for day in trades.days(symbol)}
    frames.update({f"bars/{tf}": bars.load(symbol, tf) for tf in TIMEFRAMES})
    return frames


def assert_same_store(left: Path, right: Path, symbol: str = SYMBOL) -> None:
    a, b = stored_frames(left, symbol), stored_frames(right, symbol)
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].equals(b[key], null_equal=True), key
