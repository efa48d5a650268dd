"""Bars are stored a month per file: a range read opens only the months it spans, a new
minute rewrites only its month, and a store in the earlier one-file layout is read as it is
and split into months on the next write."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from services.ingest.bar_store import BarStore
from services.ingest.domain.resample import TIMEFRAMES
from tests.integration.ingest.helpers import (
    FEATHER,
    SYMBOL,
    assert_same_store,
    build_service,
    snapshot,
)

MONTHS = ["2025-05", "2025-06", "2025-07", "2025-08"]  # the feather sample: 05-20 .. 08-18


@pytest.fixture
def candles(data_dir: Path) -> Path:
    build_service(data_dir).ingest_file(str(FEATHER), SYMBOL)
    return data_dir


def test_each_timeframe_is_a_file_per_month(candles: Path) -> None:
    bars = BarStore(candles)
    for timeframe in TIMEFRAMES:
        folder = candles / "bars" / SYMBOL / timeframe
        assert sorted(p.name for p in folder.iterdir()) == [f"{m}.parquet" for m in MONTHS]
        assert bars.months(SYMBOL, timeframe) == MONTHS
    june = pl.read_parquet(candles / "bars" / SYMBOL / "1m" / "2025-06.parquet")
    assert june.height == 30 * 1440
    assert bars.count(SYMBOL, "1m") == bars.load(SYMBOL, "1m").height == 130_708


def test_a_range_read_opens_only_its_months(candles: Path) -> None:
    bars = BarStore(candles)
    whole = bars.read(SYMBOL, "1h")
    (candles / "bars" / SYMBOL / "1h" / "2025-05.parquet").write_bytes(b"not parquet")
    start = int(whole.filter(pl.col("open_time").dt.month() == 7)["open_time"][0].timestamp())
    end = start + 40 * 86_400
    in_range = bars.read(SYMBOL, "1h", start * 1000, end * 1000)
    expected = whole.filter(
        (pl.col("open_time").dt.epoch("s") >= start) & (pl.col("open_time").dt.epoch("s") < end)
    )
    assert in_range.equals(expected)


def test_new_minutes_rewrite_only_their_month(candles: Path, tmp_path: Path) -> None:
    before = snapshot(candles)
    late = tmp_path / "late.csv"
    late.write_text("timestamp,price,size,side\n1755561600.5,1,1,Buy\n1755561601,2,1,Sell\n")
    build_service(candles).ingest_file(str(late), SYMBOL)  # 2025-08-19 00:00, a new minute
    after = snapshot(candles)

    changed = {name for name in after if before.get(name) != after[name]}
    assert changed == {
        "trades/BTCUSDT/date=2025-08-19.parquet",
        *(f"bars/BTCUSDT/{tf}/2025-08.parquet" for tf in TIMEFRAMES),
    }
    assert BarStore(candles).read(SYMBOL, "1m").height == 130_709


def test_the_one_file_layout_is_read_then_split_on_write(candles: Path, tmp_path: Path) -> None:
    legacy = tmp_path / "legacy"
    bars, old = BarStore(candles), BarStore(legacy)
    for timeframe in TIMEFRAMES:
        path = legacy / "bars" / SYMBOL / f"{timeframe}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        bars.load(SYMBOL, timeframe).write_parquet(path)
    assert old.symbols() == [SYMBOL]
    assert old.read(SYMBOL, "5m").equals(bars.read(SYMBOL, "5m"))
    assert old.count(SYMBOL, "1m") == 130_708
    assert old.open_times(SYMBOL).equals(bars.open_times(SYMBOL))

    build_service(legacy).ingest_file(str(FEATHER), SYMBOL)  # nothing new: still splits

    assert not list((legacy / "bars" / SYMBOL).glob("*.parquet"))
    assert old.months(SYMBOL, "4h") == MONTHS
    assert_same_store(legacy, candles)
