"""Candle import: formats, time columns, validation with row and field, 1m only, merging."""

from __future__ import annotations

import io
from datetime import datetime

import polars as pl
import pytest

from services.common.errors import InvalidInput
from services.ingest.domain.bars import BAR_SCHEMA, conform_bars, merge_candle_bars
from services.ingest.domain.candles import parse_candles
from services.ingest.domain.sources import FileFormat, gunzip_if_needed, sniff_format
from tests.conftest import SAMPLE
from tests.unit.ingest.factories import T0_S, csv, ms

HEADER = "timestamp,open,high,low,close,volume"
FEATHER = SAMPLE / "candles" / "binance_spot_BTCUSDT_1m_20250520-20250818.feather"


def parse_csv(*rows: str, header: str = HEADER) -> pl.DataFrame:
    return parse_candles(csv(header, *rows), FileFormat.CSV, "c.csv")


def reject_csv(*rows: str, header: str = HEADER) -> str:
    with pytest.raises(InvalidInput) as caught:
        parse_csv(*rows, header=header)
    return str(caught.value)


def test_real_feather_sample() -> None:
    data = FEATHER.read_bytes()
    bars = parse_candles(data, sniff_format(data, FEATHER.name), FEATHER.name)

    assert bars.schema == BAR_SCHEMA
    assert bars.height == 130_708
    assert bars["open_time"].is_sorted() and bars["open_time"].is_unique().all()
    assert bars["open_time"][0] == datetime.fromisoformat("2025-05-20T00:00:00+00:00")
    assert bars.select(pl.col(c).null_count() for c in BAR_SCHEMA.names()[6:]).row(0) == (
        (130_708,) * 8  # order flow and tick counts: unknown for candles
    )
    source = pl.read_ipc(FEATHER)
    assert bars["close"].to_list() == source["close"].to_list()


@pytest.mark.parametrize(
    ("header", "first", "second"),
    [
        ("timestamp", f"{T0_S}", f"{T0_S + 60}"),
        ("open_time", f"{T0_S * 1000}", f"{(T0_S + 60) * 1000}"),
        ("date", "2024-01-01 00:00:00", "2024-01-01T00:01:00Z"),
        ("Time", "2024-01-01 00:00:00+00:00", "2024-01-01 00:01"),
    ],
)
def test_csv_time_column_names_and_forms(header: str, first: str, second: str) -> None:
    cols = f"{header},open,high,low,close,volume"
    bars = parse_csv(f"{second},2,3,1,2,5", f"{first},1,2,0.5,1.5,4", header=cols)

    assert bars["open_time"].dt.epoch("ms").to_list() == [ms(0), ms(1)]  # sorted
    assert bars.select("open", "high", "low", "close", "volume").row(0) == (1, 2, 0.5, 1.5, 4)


def test_parquet_with_naive_datetimes_and_gzip_csv() -> None:
    frame = pl.DataFrame(
        {
            "Date": [datetime(2024, 1, 1, 0, 0), datetime(2024, 1, 1, 0, 1)],
            "open": [1.0, 2.0], "high": [2.0, 3.0], "low": [0.5, 1.0],
            "close": [1.5, 2.5], "volume": [4, 5],
        }
    )  # fmt: skip
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    data = buffer.getvalue()

    bars = parse_candles(data, sniff_format(data, "c.parquet"), "c.parquet")

    assert bars["open_time"].dt.epoch("ms").to_list() == [ms(0), ms(1)]
    assert bars["volume"].to_list() == [4.0, 5.0]


def test_parquet_errors_name_the_row() -> None:
    frame = pl.DataFrame(
        {"timestamp": [T0_S, T0_S + 60], "open": [1.0, 1.0], "high": [2.0, 2.0],
         "low": [0.5, 0.5], "close": [1.5, 1.5], "volume": [1.0, float("nan")]}
    )  # fmt: skip
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    with pytest.raises(InvalidInput, match=r"^c.parquet row 2, field 'volume': nan is not a"):
        parse_candles(buffer.getvalue(), FileFormat.PARQUET, "c.parquet")


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (f"{T0_S + 60},1,2,0.5,nan,1", "line 3, field 'close': 'nan' is not a finite number"),
        (f"{T0_S + 60},1,0.4,0.5,0.5,1", "line 3, field 'high': '0.4' is below open/low/close"),
        (f"{T0_S + 60},1,2,1.2,1.5,1", "line 3, field 'low': '1.2' is above open/close"),
        (f"{T0_S + 60},1,2,0.5,1.5,-1", "line 3, field 'volume': '-1' must be at least 0"),
        (f"{T0_S + 60},0,2,0.5,1.5,1", "line 3, field 'open': '0' must be greater than 0"),
        (f"{T0_S + 90},1,2,0.5,1.5,1", "line 3, field 'timestamp': '1704067290' is not the start"),
        ("soon,1,2,0.5,1.5,1", "line 3, field 'timestamp': 'soon' is not a time"),
        (
            f"{T0_S},1,2,0.5,1.5,2",
            "line 3, field 'timestamp': '1704067200' repeats the open time "
            "of line 2 with different values",
        ),
        (f"{T0_S + 60},1,2,0.5", "line 3, field 'close': missing"),
    ],
)
def test_bad_candle_names_line_and_field(row: str, expected: str) -> None:
    assert reject_csv(f"{T0_S},1,2,0.5,1.5,1", row).startswith(f"c.csv {expected}")


def test_identical_repeated_candles_are_kept_once() -> None:
    assert parse_csv(f"{T0_S},1,2,0.5,1.5,1", f"{T0_S},1,2,0.5,1.5,1").height == 1


def test_non_1m_candles_are_rejected() -> None:
    message = reject_csv(*(f"{T0_S + i * 300},1,2,0.5,1.5,1" for i in range(3)))
    assert message.startswith("c.csv line 3, field 'timestamp': candles are at least 5 minutes")
    assert "not 1m candles" in message


def test_missing_time_column_and_missing_values() -> None:
    assert reject_csv("1,2,0.5,1.5,1", header="when,open,high,low,close,volume").startswith(
        "c.csv line 1: missing the time column"
    )
    assert "missing required column(s) 'volume'" in reject_csv(
        f"{T0_S},1,2,0.5,1.5", header="timestamp,open,high,low,close"
    )


def test_unreadable_columnar_file() -> None:
    with pytest.raises(InvalidInput, match="cannot read the parquet file"):
        parse_candles(b"PAR1 this is not parquet", FileFormat.PARQUET, "c.parquet")


def test_gzip_csv_candles() -> None:
    import gzip

    data = gunzip_if_needed(gzip.compress(csv(HEADER, f"{T0_S},1,2,0.5,1.5,1")), "c")
    assert parse_candles(data, FileFormat.CSV, "c").height == 1


def _trade_bar(minute: int, close: float) -> dict[str, object]:
    return {"open_time": ms(minute), "open": close, "high": close, "low": close,
            "close": close, "volume": 1.0, "buy_volume": 1.0, "sell_volume": 0.0,
            "trade_count": 1, "vwap": close}  # fmt: skip


def test_candle_merge_keeps_trade_bars_and_replaces_older_candles() -> None:
    stored = (
        pl.DataFrame([_trade_bar(0, 10.0)], schema_overrides={"open_time": pl.Int64})
        .with_columns(pl.col("open_time").cast(pl.Datetime("ms", "UTC")))
        .pipe(conform_bars)
    )
    stored = merge_candle_bars(stored, parse_csv(f"{T0_S + 60},1,2,0.5,1.5,1")).bars

    merge = merge_candle_bars(
        stored,
        parse_csv(
            f"{T0_S},5,5,5,5,5",  # minute 0 has a trade-built bar: skipped
            f"{T0_S + 60},1,2,0.5,1.6,1",  # corrects the stored candle
            f"{T0_S + 120},1,2,0.5,1.5,1",  # new minute
        ),
    )

    assert (merge.stored, merge.skipped) == (2, 1)
    assert merge.bars["close"].to_list() == [10.0, 1.6, 1.5]
    assert merge.bars["trade_count"].to_list() == [1, None, None]
    again = merge_candle_bars(merge.bars, parse_csv(f"{T0_S + 120},1,2,0.5,1.5,1"))
    assert (again.stored, again.skipped) == (0, 1)
    assert again.bars.equals(merge.bars)
