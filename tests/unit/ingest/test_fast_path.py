"""The fast CSV path returns exactly what the validating path returns, and leaves every file
it is not sure about to it."""

from __future__ import annotations

import gzip

import polars as pl
import pytest

from services.ingest.domain.trades import fast_parse_trades, validating_parse_trades
from tests.conftest import SAMPLE
from tests.unit.ingest.factories import T0_S, csv

SAMPLES = sorted((SAMPLE / "trades").glob("*.csv.gz"))
BYBIT = csv(
    "timestamp,symbol,side,size,price,tickDirection,trdMatchID,grossValue,homeNotional,"
    "foreignNotional",
    f"{T0_S}.5,BTCUSDT,Buy,0.01,42000.5,PlusTick,a-1,4.2e+10,0.01,420.005",
    f"{T0_S}.5,BTCUSDT,Buy,0.01,42000.5,PlusTick,a-1,4.2e+10,0.01,420.005",  # repeated id
    f"{T0_S}.25,BTCUSDT,Sell,0.5,42000,ZeroMinusTick,a-2,2.1e+12,0.5,21000",
    f"{T0_S}.5,BTCUSDT,Sell,1,41999.5,MinusTick,a-3,4.2e+12,1,41999.5",
)
IDENTICAL = csv(
    "timestamp,price,size,side,tickDirection",
    f"{T0_S}.5,1,1,Buy,",
    f"{T0_S}.1,2,1,Buy,PlusTick",
    f"{T0_S}.5,1,1,Buy,",
    f"{T0_S}.5,1,2,Buy,",
    f"{T0_S}.5,1,1,Buy,",
    f"{T0_S + 1}123,1,1,Sell,MinusTick",  # ms
)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_real_samples_equal_the_validating_path(path: object) -> None:
    data = gzip.decompress(SAMPLE.joinpath("trades", str(path)).read_bytes())
    fast = fast_parse_trades(data, "BTCUSDT")
    assert fast is not None
    assert fast.equals(validating_parse_trades(data, "t.csv", "BTCUSDT"), null_equal=True)


MIXED = csv(  # decimal seconds first (read as floats), then integer seconds, ms and us
    "timestamp,price,size,side",
    f"{T0_S}.000001,1,1,Buy",
    f"{T0_S + 1},1,1,Sell",
    f"{T0_S + 2}001,1,1,Sell",
    f"{T0_S + 3}000001,1,1,Buy",
)


@pytest.mark.parametrize(
    "data", [BYBIT, IDENTICAL, MIXED], ids=["bybit", "identical-rows", "mixed-units"]
)
def test_tricky_valid_files_equal_the_validating_path(data: bytes) -> None:
    fast = fast_parse_trades(data, "BTCUSDT")
    assert fast is not None
    slow = validating_parse_trades(data, "t.csv", "BTCUSDT")
    assert fast.equals(slow, null_equal=True)
    assert fast["occurrence"].max() == (2 if data is IDENTICAL else 0)


@pytest.mark.parametrize(
    "data",
    [
        csv("timestamp,price,size,side", f"{T0_S},1,1,Buy", ""),  # blank line
        csv("timestamp,price,size,side", f"{T0_S},1,1,Buy,"),  # extra field
        csv("timestamp,price,size,side", f"{T0_S},1,1"),  # short line
        csv("timestamp,price,size,side", f'{T0_S},1,1,"Buy"'),  # quotes
        csv("timestamp,price,size,side", f"{T0_S}, 1,1,Buy"),  # space
        csv("timestamp,price,size,side", f"{T0_S},nan,1,Buy"),
        csv("timestamp,price,size,side", f"{T0_S},1,,Buy"),
        csv("timestamp,price,size,side", f"{T0_S},1,1,buy"),
        csv("timestamp,price,size,side", "5,1,1,Buy"),  # implausible time
        csv("timestamp,price,size,side,tickDirection", f"{T0_S},1,1,Buy,Up"),
        csv("timestamp,symbol,price,size,side", f"{T0_S},ETHUSDT,1,1,Buy"),
        b"timestamp,price,size,side\r\n" + f"{T0_S},1,1,Buy\r\n".encode(),
        "timestamp,price,size,side\n1,é,1,Buy\n".encode(),
        # Decimal seconds are read as floats: a later value that is not one, or is beyond
        # exact floats, still goes to the validating path.
        csv("timestamp,price,size,side", f"{T0_S}.5,1,1,Buy", f"{T0_S}.5x,1,1,Buy"),
        csv("timestamp,price,size,side", f"{T0_S}.5,1,1,Buy", "1e300,1,1,Buy"),
        csv("timestamp,price,size,side", f"{T0_S}.5,1,1,Buy", "9007199254740993.5,1,1,Buy"),
    ],
)
def test_anything_unusual_is_left_to_the_validating_path(data: bytes) -> None:
    assert fast_parse_trades(data, "BTCUSDT") is None


def test_schema_is_the_stored_one() -> None:
    fast = fast_parse_trades(BYBIT)
    assert fast is not None
    assert fast["trade_id"].to_list() == ["a-2", "a-1", "a-1", "a-3"]
    assert fast.schema["timestamp"] == pl.Datetime("us", "UTC")
