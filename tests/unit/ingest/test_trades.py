"""Trade file parsing: formats, timestamps, ordering, and the real sample files."""

from __future__ import annotations

import gzip

import polars as pl
import pytest

from services.common.errors import InvalidInput
from services.ingest.domain.sources import gunzip_if_needed
from services.ingest.domain.trades import TRADE_SCHEMA, parse_trades
from tests.conftest import SAMPLE
from tests.unit.ingest.factories import T0_S, T0_US, csv

BYBIT_HEADER = (
    "timestamp,symbol,side,size,price,tickDirection,trdMatchID,grossValue,homeNotional,"
    "foreignNotional"
)


def test_canonical_short_form() -> None:
    trades = parse_trades(
        csv(
            "timestamp,price,size,side,tickDirection",
            f"{T0_S}.25,100.5,0.1,Buy,PlusTick",
            f"{T0_S + 1},100,2,Sell,MinusTick",
        ),
        "t.csv",
    )
    assert trades.schema == TRADE_SCHEMA
    assert trades["timestamp"].dt.epoch("us").to_list() == [T0_US + 250_000, T0_US + 1_000_000]
    assert trades.select("price", "size", "side", "tick_direction", "trade_id").rows() == [
        (100.5, 0.1, "Buy", "PlusTick", None),
        (100.0, 2.0, "Sell", "MinusTick", None),
    ]


def test_bybit_daily_column_set_in_its_own_order() -> None:
    trades = parse_trades(
        csv(
            BYBIT_HEADER,
            f"{T0_S}.5,BTCUSDT,Sell,0.01,42000.5,ZeroMinusTick,a1b2,42000500000,0.01,420.005",
        ),
        "BTCUSDT2024-01-01.csv",
        symbol="BTCUSDT",
    )
    assert trades.select("price", "size", "side", "tick_direction", "trade_id").row(0) == (
        42000.5, 0.01, "Sell", "ZeroMinusTick", "a1b2",
    )  # fmt: skip


def test_any_column_order_extra_columns_and_header_case() -> None:
    trades = parse_trades(csv("Side,extra,SIZE,Timestamp,Price", f"Buy,x,3,{T0_S},7"), "t.csv")
    assert trades.select("price", "size", "side").row(0) == (7.0, 3.0, "Buy")


@pytest.mark.parametrize(
    "text",
    [
        f"{T0_S}.123456",
        f"{T0_S}123.456",
        f"{T0_S}123456",
        f"{T0_S}123456000",
        f"{T0_S}123455501",
        f"{T0_S}.1234562",
    ],
    ids=["seconds", "ms", "us", "ns", "ns rounded", "sub-us digits rounded"],
)
def test_timestamp_unit_by_magnitude_is_exact(text: str) -> None:
    trades = parse_trades(csv("timestamp,price,size,side", f"{text},1,1,Buy"), "t.csv")
    assert trades["timestamp"].dt.epoch("us").to_list() == [T0_US + 123_456]


def test_sorted_by_time_and_ties_keep_file_order() -> None:
    trades = parse_trades(
        csv(
            "timestamp,price,size,side",
            f"{T0_S + 2},1,1,Buy",
            f"{T0_S + 1},2,1,Buy",
            f"{T0_S + 2},3,1,Buy",
            f"{T0_S + 1},4,1,Buy",
        ),
        "t.csv",
    )
    assert trades["price"].to_list() == [2.0, 4.0, 1.0, 3.0]


def test_identical_rows_get_increasing_occurrence() -> None:
    line = f"{T0_S},5,1,Buy,,"
    trades = parse_trades(
        csv(
            "timestamp,price,size,side,tickDirection,trdMatchID",
            line,
            f"{T0_S},6,1,Buy,,",
            line + "id-1",  # same row with an id: identified by the id, not counted
            line,
            f"{T0_S - 1},5,1,Buy,,",
            line,
        ),
        "t",
    )
    assert trades.select("price", "trade_id", "occurrence").rows() == [
        (5.0, None, 0),  # the earlier timestamp, sorted first
        (5.0, None, 0),
        (6.0, None, 0),
        (5.0, "id-1", 0),
        (5.0, None, 1),
        (5.0, None, 2),
    ]


def test_crlf_quotes_bom_and_blank_lines_are_tolerated() -> None:
    data = b'\xef\xbb\xbf"timestamp","price","size","side"\r\n\r\n"1704067200","5","1","Buy"\r\n'
    assert parse_trades(data, "t.csv")["price"].to_list() == [5.0]


def test_gzip_is_detected_by_magic_bytes_not_by_name() -> None:
    plain = csv("timestamp,price,size,side", f"{T0_S},5,1,Buy")
    assert gunzip_if_needed(gzip.compress(plain), "named-like-plain.csv") == plain
    assert gunzip_if_needed(plain, "named-like.csv.gz") == plain
    assert gunzip_if_needed(gzip.compress(plain[:10]) + gzip.compress(plain[10:]), "x") == plain


def _sample(name: str) -> bytes:
    return gunzip_if_needed((SAMPLE / "trades" / name).read_bytes(), name)


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("binance_spot_BTCUSDT_20240808T235415_20240809T000505.csv.gz", 19_904),
        ("binance_usdm_BTCUSDT_20240808T235416_20240808T235959.csv.gz", 21_313),
        ("kraken_spot_BTCUSDT_20231117_20231122.csv.gz", 26_921),
    ],
)
def test_real_canonical_samples(name: str, rows: int) -> None:
    trades = parse_trades(_sample(name), name, symbol="BTCUSDT")

    assert trades.height == rows
    assert trades["timestamp"].is_sorted()
    assert trades["trade_id"].null_count() == rows
    assert trades.select((pl.col("price") > 0).all(), (pl.col("size") > 0).all()).row(0) == (
        True, True,
    )  # fmt: skip
    raw = pl.read_csv(SAMPLE / "trades" / name)  # an independent read of the same file
    assert trades["size"].sum() == pytest.approx(raw["size"].sum())
    first = raw.sort("timestamp", maintain_order=True).row(0, named=True)
    assert trades["timestamp"][0].timestamp() == pytest.approx(first["timestamp"], abs=1e-6)


def test_real_bybit_websocket_sample_with_extra_feed_column() -> None:
    name = "bybit_ws_sample_trades.csv"
    trades = parse_trades(_sample(name), name)  # several symbols: no symbol check

    assert trades.height == 598
    assert trades["trade_id"].null_count() == 0
    assert trades["trade_id"].n_unique() == 598
    assert trades["tick_direction"].null_count() == 20  # Bybit sent no tick direction
    assert set(trades["side"].unique()) == {"Buy", "Sell"}
    assert trades["timestamp"].is_sorted()


def test_real_bybit_sample_names_the_first_row_of_another_symbol() -> None:
    name = "bybit_ws_sample_trades.csv"
    lines = (SAMPLE / "trades" / name).read_text().splitlines()
    first_other = next(i for i, line in enumerate(lines[1:], 2) if ",BTCUSD," not in line)

    with pytest.raises(InvalidInput, match=rf"line {first_other}, field 'symbol'"):
        parse_trades(_sample(name), name, symbol="BTCUSD")
