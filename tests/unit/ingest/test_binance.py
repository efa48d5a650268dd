"""Binance trades/aggTrades files: detected from the first line, with or without a header;
tick direction derived from price moves; bad rows named by line and field."""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl
import pytest

from services.common.errors import InvalidInput
from services.ingest.domain.sources import FileFormat, Kind, detect_kind
from services.ingest.domain.trades import TRADE_SCHEMA, parse_trades
from tests.unit.ingest.factories import T0_S, csv

MARKET = Path(__file__).resolve().parents[2] / "fixtures" / "market"
APE_ZIP = MARKET / "futures-APEUSDT-aggTrades-2024-10-18.zip"
APE_CANONICAL = MARKET / "binance_usdm_APEUSDT_aggTrades_20241018.csv.gz"
PEPE_ZIP = MARKET / "spot-PEPEUSDT-aggTrades-2024-10-27.zip"
MS = T0_S * 1000


def unzip(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(archive.namelist()[0])


def test_spot_trades_without_header_sides_ids_and_ticks() -> None:
    data = csv(
        f"11,100.0,1,100,{MS},True,True",  # buyer was maker: the taker sold
        f"12,100.0,2,200,{MS + 1},False,True",
        f"13,101.0,1,101,{MS + 2},False,True",
        f"14,101.0,1,101,{MS + 3},True,True",
        f"15,99.5,1,99.5,{MS + 3},True,True",
        f"16,99.5,3,298.5,{MS + 4},False,True",
    )
    assert detect_kind(data, FileFormat.CSV, "t.csv") is Kind.TRADES
    trades = parse_trades(data, "t.csv")

    assert trades.schema == TRADE_SCHEMA
    assert trades["side"].to_list() == ["Sell", "Buy", "Buy", "Sell", "Sell", "Buy"]
    assert trades["trade_id"].to_list() == ["11", "12", "13", "14", "15", "16"]
    assert trades["tick_direction"].to_list() == [
        "ZeroPlusTick",  # first trade: no reference, ZeroPlusTick by convention
        "ZeroPlusTick",
        "PlusTick",
        "ZeroPlusTick",
        "MinusTick",
        "ZeroMinusTick",
    ]
    assert trades["timestamp"].dt.epoch("ms").to_list() == [MS, MS + 1, MS + 2, MS + 3, MS + 3,
                                                            MS + 4]  # fmt: skip


def test_futures_trades_with_header_in_microseconds() -> None:
    us = MS * 1000 + 7
    data = csv("id,price,qty,quote_qty,time,is_buyer_maker", f"5,10,2,20,{us},false")
    trades = parse_trades(data, "t.csv")
    assert trades["timestamp"].dt.epoch("us").to_list() == [us]
    assert trades.select("price", "size", "side").row(0) == (10.0, 2.0, "Buy")


def test_real_aggtrades_with_header_match_the_shared_derivation() -> None:
    trades = parse_trades(unzip(APE_ZIP), APE_ZIP.name)
    canonical = pl.read_csv(APE_CANONICAL, infer_schema=False)

    assert trades.height == canonical.height == 45_342
    assert trades["trade_id"][0] == "agg-171927517"
    assert trades["tick_direction"].to_list() == canonical["tickDirection"].to_list()
    assert trades["side"].to_list() == canonical["side"].to_list()


def test_real_spot_aggtrades_without_header() -> None:
    trades = parse_trades(unzip(PEPE_ZIP), PEPE_ZIP.name)
    assert trades.height == 57_229
    assert trades["timestamp"].is_sorted()
    assert trades["price"][0] == pytest.approx(9.08e-06)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"12,100.0,1,100,{MS},maybe,True", "line 2, field 'is_buyer_maker': 'maybe'"),
        (f"12,-1,1,100,{MS},True,True", "line 2, field 'price': '-1' must be greater than 0"),
        (f"12,1,0,0,{MS},True,True", "line 2, field 'qty': '0' must be greater than 0"),
        ("12,1,1,1,1,True,True", "line 2, field 'time': '1' is not a plausible"),
        (f"x2,1,1,1,{MS},True,True", "line 2, field 'id': 'x2' is not a trade id"),
        (f"12,1,1,1,{MS},True", "line 2, field 'is_best_match': missing"),
    ],
)
def test_bad_headerless_rows_name_line_and_field(line: str, expected: str) -> None:
    data = csv(f"11,100.0,1,100,{MS},True,True", line)
    with pytest.raises(InvalidInput) as caught:
        parse_trades(data, "b.csv")
    assert str(caught.value).startswith(f"b.csv {expected}")
