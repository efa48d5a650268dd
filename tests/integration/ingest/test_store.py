"""The ingest use case against a real data root: idempotence, overlap, precedence of trade
bars over candles, atomicity and the layout other services read."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest

from services.common.errors import InvalidInput, NotFound
from services.ingest.bar_store import BarStore
from services.ingest.domain.resample import HIGHER_TIMEFRAMES, resample
from services.ingest.domain.trades import TRADE_SCHEMA
from services.ingest.store import TradeStore
from tests.integration.ingest.helpers import (
    SPOT,
    SYMBOL,
    assert_same_store,
    build_service,
    sample_lines,
    snapshot,
    write_slice,
)


def test_ingesting_the_same_file_twice_changes_nothing(data_dir: Path) -> None:
    service = build_service(data_dir)
    first = service.ingest_file(str(SPOT), SYMBOL)
    before = snapshot(data_dir)

    again = service.ingest_file(str(SPOT), SYMBOL)

    assert (first.rows_read, first.rows_stored, first.duplicates) == (19_904, 19_904, 0)
    assert (again.rows_read, again.rows_stored, again.duplicates) == (19_904, 0, 19_904)
    assert again.bars_1m == first.bars_1m == 12  # 23:54 .. 00:05
    assert snapshot(data_dir) == before


def _overlapping_halves(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Two files overlapping by 6000 lines of the sample, and a store of the whole sample."""
    _, lines = sample_lines()
    half = len(lines) // 2
    a = write_slice(tmp_path / "a.csv", 0, half + 3000)
    b = write_slice(tmp_path / "b.csv", half - 3000, len(lines))
    whole = tmp_path / "whole"
    whole.mkdir()
    build_service(whole).ingest_file(str(SPOT), SYMBOL)
    return a, b, whole


def test_overlapping_files_equal_the_whole_file(data_dir: Path, tmp_path: Path) -> None:
    a, b, whole = _overlapping_halves(tmp_path)

    service = build_service(data_dir)
    first = service.ingest_file(str(a), SYMBOL)
    second = service.ingest_file(str(b), SYMBOL)

    assert first.rows_stored + second.rows_stored == len(sample_lines()[1])
    assert second.duplicates > 5000
    assert_same_store(data_dir, whole)


def test_trade_days_stored_with_string_sides_are_read_and_merged(
    data_dir: Path, tmp_path: Path
) -> None:
    # Trade files written before side and tick direction were stored as Enums hold strings.
    a, b, whole = _overlapping_halves(tmp_path)
    service = build_service(data_dir)
    service.ingest_file(str(a), SYMBOL)
    store = TradeStore(data_dir)
    for day in store.days(SYMBOL):
        path = store.day_path(SYMBOL, day)
        old = pl.read_parquet(path).with_columns(pl.col("side", "tick_direction").cast(pl.String))
        old.write_parquet(path)

    second = service.ingest_file(str(b), SYMBOL)

    assert second.duplicates > 5000
    assert store.read_day(SYMBOL, store.days(SYMBOL)[0]).schema == TRADE_SCHEMA
    assert_same_store(data_dir, whole)


def test_layout_days_and_timeframes(data_dir: Path) -> None:
    build_service(data_dir).ingest_file(str(SPOT), SYMBOL, display_name="spot.csv.gz")

    day_files = sorted(p.name for p in (data_dir / "trades" / SYMBOL).iterdir())
    assert day_files == ["date=2024-08-08.parquet", "date=2024-08-09.parquet"]
    bars = BarStore(data_dir)
    bars_1m = bars.read(SYMBOL, "1m")
    assert bars_1m["trade_count"].sum() == 19_904
    assert bars_1m["volume"].sum() == pytest.approx(TradeStore(data_dir).read(SYMBOL)["size"].sum())
    for timeframe in HIGHER_TIMEFRAMES:
        assert bars.read(SYMBOL, timeframe).equals(resample(bars_1m, timeframe))
    assert not list(data_dir.rglob("*.tmp"))


def test_bar_reads_filter_by_range_and_fail_clearly(data_dir: Path) -> None:
    build_service(data_dir).ingest_file(str(SPOT), SYMBOL)
    bars = BarStore(data_dir)
    all_1m = bars.read(SYMBOL, "1m")
    start = int(all_1m["open_time"].dt.epoch("ms")[3])
    end = int(all_1m["open_time"].dt.epoch("ms")[6])

    assert bars.read(SYMBOL, "1m", start, end).equals(all_1m.slice(3, 3))
    assert bars.read("btcusdt", "1m", start).equals(all_1m.slice(3))
    with pytest.raises(NotFound, match="ETHUSDT"):
        bars.read("ETHUSDT", "1m")
    with pytest.raises(InvalidInput, match="timeframe"):
        bars.read(SYMBOL, "2h")
    with pytest.raises(InvalidInput, match="end_ms"):
        bars.read(SYMBOL, "1m", end, start)
    assert bars.symbols() == [SYMBOL]


def _candles_csv(path: Path, first_minute_ms: int, count: int, close: float) -> Path:
    rows = [
        f"{(first_minute_ms + i * 60_000) // 1000},{close},{close + 1},{close - 1},{close},2"
        for i in range(count)
    ]
    path.write_text("\n".join(["timestamp,open,high,low,close,volume", *rows]) + "\n")
    return path


@pytest.mark.parametrize("trades_first", [True, False])
def test_trade_bars_win_over_candles_in_either_order(
    data_dir: Path, tmp_path: Path, trades_first: bool
) -> None:
    first_minute = 1723161240000  # 2024-08-08 23:54, the spot sample's first minute
    candles = _candles_csv(tmp_path / "c.csv", first_minute - 5 * 60_000, 30, 50_000.0)
    service = build_service(data_dir)
    steps = [(str(SPOT), "auto"), (str(candles), "candles")]
    for path, kind in steps if trades_first else steps[::-1]:
        result = service.ingest_file(path, SYMBOL, kind)

    bars = BarStore(data_dir).read(SYMBOL, "1m")
    traded = bars.filter(pl.col("trade_count").is_not_null())
    assert result.bars_1m == bars.height == 30  # 12 traded minutes inside 30 candle minutes
    assert traded.height == 12
    assert (traded["close"] != 50_000.0).all()
    assert bars.filter(pl.col("trade_count").is_null())["close"].unique().to_list() == [50_000.0]
    five = BarStore(data_dir).read(SYMBOL, "5m")
    # Candles 23:49-00:18, trades 23:54-00:05: 23:55 and 00:00 are all trades; 23:45,
    # 23:50 and 00:05 mix in candle minutes, 00:10 and 00:15 are candles only.
    assert five["trade_count"].is_not_null().to_list() == [False, False, True, True] + [False] * 3


def test_candles_from_the_real_feather_sample(data_dir: Path) -> None:
    from tests.integration.ingest.helpers import FEATHER

    result = build_service(data_dir).ingest_file(str(FEATHER), SYMBOL)

    assert (result.kind, result.rows_stored, result.bars_1m) == ("candles", 130_708, 130_708)
    assert BarStore(data_dir).read(SYMBOL, "4h").height == 545  # 90 days * 6 + 00..16h
    [coverage] = build_service(data_dir).symbols()
    assert (coverage.bars_1m, coverage.trades) == (130_708, 0)
    assert coverage.first_ms == result.first_ms == 1747699200000


def test_a_bad_file_writes_nothing(data_dir: Path, tmp_path: Path) -> None:
    service = build_service(data_dir)
    service.ingest_file(str(SPOT), SYMBOL)
    before = snapshot(data_dir)
    header, lines = sample_lines()
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([header, *lines[:500], "1723161999.5,61000,oops,Buy,PlusTick"]))

    with pytest.raises(InvalidInput, match=r"^upload\.csv line 502, field 'size': 'oops'"):
        service.ingest_file(str(bad), SYMBOL, display_name="upload.csv")

    assert snapshot(data_dir) == before


def test_missing_file_and_bad_arguments(data_dir: Path) -> None:
    service = build_service(data_dir)
    with pytest.raises(NotFound, match="no such file"):
        service.ingest_file(str(data_dir / "nope.csv"), SYMBOL)
    with pytest.raises(InvalidInput, match="invalid symbol"):
        service.ingest_file(str(SPOT), "BTC/USDT")
    with pytest.raises(InvalidInput, match="invalid kind"):
        service.ingest_file(str(SPOT), SYMBOL, kind="orders")
    with pytest.raises(InvalidInput, match="trades must be a CSV"):
        service.ingest_file(str(_feather()), SYMBOL, kind="trades")
    assert snapshot(data_dir) == {}


def _feather() -> Path:
    from tests.integration.ingest.helpers import FEATHER

    return FEATHER


def test_appending_days_incrementally_equals_a_full_rebuild(data_dir: Path, tmp_path: Path) -> None:
    """5.4 days of Kraken trades ingested as four files, newest first, against one ingest."""
    kraken = SPOT.parent / "kraken_spot_BTCUSDT_20231117_20231122.csv.gz"
    header, *lines = gzip.decompress(kraken.read_bytes()).decode().splitlines()
    cuts = [0, len(lines) // 4, len(lines) // 2, 3 * len(lines) // 4, len(lines)]
    parts = []
    for i, (start, stop) in enumerate(zip(cuts, cuts[1:], strict=False)):
        part = tmp_path / f"part{i}.csv"
        part.write_text("\n".join([header, *lines[start:stop]]) + "\n")
        parts.append(part)
    whole = tmp_path / "whole"
    whole.mkdir()
    build_service(whole).ingest_file(str(kraken), SYMBOL)

    service = build_service(data_dir)
    stored = sum(service.ingest_file(str(p), SYMBOL).rows_stored for p in reversed(parts))

    assert stored == len(lines)
    assert_same_store(data_dir, whole)
    assert BarStore(data_dir).load(SYMBOL, "1h")["trade_count"].sum() == len(lines)


def test_a_later_file_recomputes_only_the_bars_it_touches(data_dir: Path, tmp_path: Path) -> None:
    """Kraken trades of 5.4 days as two files: the second leaves every bar of the first
    file's whole days as stored (a marker written into one survives), and the store equals
    ingesting both at once."""
    kraken = SPOT.parent / "kraken_spot_BTCUSDT_20231117_20231122.csv.gz"
    header, *lines = gzip.decompress(kraken.read_bytes()).decode().splitlines()
    half = len(lines) // 2
    early, late = tmp_path / "early.csv", tmp_path / "late.csv"
    early.write_text("\n".join([header, *lines[:half]]) + "\n")
    late.write_text("\n".join([header, *lines[half:]]) + "\n")
    service, bars = build_service(data_dir), BarStore(data_dir)
    service.ingest_file(str(early), SYMBOL)
    first_4h = bars.load(SYMBOL, "4h")
    marked = first_4h.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(-1.0).otherwise(pl.col("vwap")).alias("vwap")
    )
    bars.write(SYMBOL, "4h", marked)  # the first 4h bar: days before the second file starts

    service.ingest_file(str(late), SYMBOL)

    after = bars.load(SYMBOL, "4h")
    assert after["vwap"][0] == -1.0  # not recomputed: nothing in it changed
    truth = resample(bars.load(SYMBOL, "1m"), "4h")
    assert after.slice(1).equals(truth.slice(1), null_equal=True)
    assert after.height == truth.height
