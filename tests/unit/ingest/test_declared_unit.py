"""A declared timestamp unit: every value is read in it, and a value that is implausible in
that unit is refused (by magnitude it would have been silently rescaled)."""

from __future__ import annotations

import pytest

from services.common.errors import InvalidInput
from services.gateway.schemas import TimestampUnit
from services.ingest.domain.candles import parse_candles
from services.ingest.domain.epoch import TIME_UNITS, TimeUnit, time_unit
from services.ingest.domain.sources import FileFormat
from services.ingest.domain.trades import (
    fast_parse_trades,
    parse_trades,
    validating_parse_trades,
)
from tests.unit.ingest.factories import T0_S, T0_US, csv


def _times(data: bytes, unit: TimeUnit) -> list[int]:
    trades = parse_trades(data, "t.csv", unit=unit)
    return trades["timestamp"].dt.epoch("us").to_list()


@pytest.mark.parametrize(
    ("unit", "text"),
    [
        ("s", f"{T0_S}.123456"),
        ("ms", f"{T0_S}123.456"),
        ("us", f"{T0_S}123456"),
        ("ns", f"{T0_S}123456000"),
        ("ns", f"{T0_S}123455501"),
    ],
)
def test_declared_unit_reads_every_value_in_it(unit: TimeUnit, text: str) -> None:
    data = csv("timestamp,price,size,side", f"{text},1,1,Buy")
    assert _times(data, unit) == [T0_US + 123_456]
    assert _times(data, "auto") == [T0_US + 123_456]  # the same as by magnitude


def test_integer_seconds_declared() -> None:
    data = csv("timestamp,price,size,side", f"{T0_S},1,1,Buy", f"{T0_S + 60},1,1,Sell")
    assert _times(data, "s") == [T0_US, T0_US + 60_000_000]


@pytest.mark.parametrize("path", ["fast", "validating"])
def test_a_value_in_another_unit_is_refused_when_declared(path: str) -> None:
    # The second value is milliseconds: by magnitude it is a fine time, declared "s" it is
    # the year ~55,000 and must be refused, naming line and field.
    data = csv("timestamp,price,size,side", f"{T0_S},1,1,Buy", f"{T0_S}000,1,1,Buy")
    assert len(_times(data, "auto")) == 2
    if path == "fast":
        assert fast_parse_trades(data, unit="s") is None  # the slow path names the problem
    with pytest.raises(InvalidInput) as caught:
        validating_parse_trades(data, "t.csv", unit="s")
    message = str(caught.value)
    assert "t.csv line 3, field 'timestamp'" in message
    assert "read as unix seconds, the declared unit" in message


def test_declared_milliseconds_refuse_seconds() -> None:
    data = csv("timestamp,price,size,side", f"{T0_S},1,1,Buy")
    with pytest.raises(InvalidInput, match="line 2, field 'timestamp'.*milliseconds"):
        parse_trades(data, "t.csv", unit="ms")


def test_huge_integer_in_a_declared_unit_is_out_of_range_not_wrapped() -> None:
    data = csv("timestamp,price,size,side", "9000000000000000,1,1,Buy")
    with pytest.raises(InvalidInput, match="line 2, field 'timestamp'.*out of range"):
        parse_trades(data, "t.csv", unit="s")


def test_binance_file_with_declared_unit() -> None:
    line = f"1,100.0,0.5,50.0,{T0_S}123,true,true"
    trades = parse_trades(line.encode() + b"\n", "b.csv", unit="ms")
    assert trades["timestamp"].dt.epoch("us").to_list() == [T0_US + 123_000]
    with pytest.raises(InvalidInput, match="line 1, field 'time'.*microseconds"):
        parse_trades(line.encode() + b"\n", "b.csv", unit="us")


def test_candles_with_declared_unit() -> None:
    data = csv("open_time,open,high,low,close,volume", f"{T0_S}000,1,2,0.5,1.5,10")
    bars = parse_candles(data, FileFormat.CSV, "c.csv", unit="ms")
    assert bars["open_time"].dt.epoch("us").to_list() == [T0_US]
    with pytest.raises(InvalidInput, match="line 2, field 'open_time'.*plausible candle time"):
        parse_candles(data, FileFormat.CSV, "c.csv", unit="s")


def test_unit_names() -> None:
    assert time_unit("") == "auto"
    assert time_unit(" MS ") == "ms"
    with pytest.raises(InvalidInput, match="invalid timestamp unit 'minutes'; use one of auto"):
        time_unit("minutes")


def test_gateway_offers_exactly_the_ingest_units() -> None:
    assert TimestampUnit.__args__ == TIME_UNITS  # type: ignore[attr-defined]


MIXED = [f"{T0_S}.5", f"{T0_S}", f"{T0_S}123", f"{T0_S}123456", "1e9", "-1.5", "0.0",
         f"{T0_S}.0000005"]  # fmt: skip


@pytest.mark.parametrize("unit", TIME_UNITS)
@pytest.mark.parametrize(
    "values",
    [MIXED, [*MIXED, "9007199254740993", f"{T0_S}123456789"]],
    ids=["all below 2**53", "with ns integers"],
)
def test_one_parse_shortcut_equals_the_expression_on_mixed_columns(
    unit: TimeUnit, values: list[str]
) -> None:
    import polars as pl

    from services.ingest.domain.epoch import epoch_us, epoch_us_series

    text = pl.Series("t", values)
    expected = pl.DataFrame({"t": text}).select(epoch_us(pl.col("t"), unit)).to_series()
    for head in range(len(text)):  # whichever value comes first decides the shortcut
        rolled = pl.concat([text.slice(head), text.slice(0, head)])
        want = pl.concat([expected.slice(head), expected.slice(0, head)])
        assert epoch_us_series(rolled, unit).to_list() == want.to_list()
