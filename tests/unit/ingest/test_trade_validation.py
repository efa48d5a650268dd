"""Every way a trade file can be wrong rejects the whole file with a message naming the file,
the 1-based line in the file and the field."""

from __future__ import annotations

import gzip

import pytest

from services.common.errors import InvalidInput
from services.ingest.domain.sources import gunzip_if_needed
from services.ingest.domain.trades import parse_trades

HEADER = b"timestamp,price,size,side,tickDirection\n"
GOOD = b"1704067200.5,100.5,0.25,Buy,PlusTick\n"


def reject(data: bytes, symbol: str | None = None) -> str:
    with pytest.raises(InvalidInput) as caught:
        parse_trades(gunzip_if_needed(data, "trades.csv"), "trades.csv", symbol)
    return str(caught.value)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"1704067200,abc,1,Buy,PlusTick\n", "line 3, field 'price': 'abc' is not a number"),
        (b"1704067200,nan,1,Buy,PlusTick\n", "line 3, field 'price': 'nan' is not a finite"),
        (b"1704067200,inf,1,Buy,PlusTick\n", "line 3, field 'price': 'inf' is not a finite"),
        (b"1704067200,0,1,Buy,PlusTick\n", "line 3, field 'price': '0' must be greater than 0"),
        (b"1704067200,-3,1,Buy,PlusTick\n", "line 3, field 'price': '-3' must be greater than 0"),
        (b"1704067200,1,,Buy,PlusTick\n", "line 3, field 'size': is empty"),
        (b"1704067200,1,-0.1,Buy,PlusTick\n", "line 3, field 'size': '-0.1' must be greater"),
        (b"1704067200,1,NaN,Buy,PlusTick\n", "line 3, field 'size': 'NaN' is not a finite"),
        (b"1704067200,1,1e,Buy,PlusTick\n", "line 3, field 'size': '1e' is not a number"),
        (b"yesterday,1,1,Buy,PlusTick\n", "line 3, field 'timestamp': 'yesterday' is not a number"),
        (b"nan,1,1,Buy,PlusTick\n", "line 3, field 'timestamp': 'nan' is not a finite number"),
        (b"-inf,1,1,Buy,PlusTick\n", "line 3, field 'timestamp': '-inf' is not a finite number"),
        (b"-5,1,1,Buy,PlusTick\n", "line 3, field 'timestamp': '-5' must be a positive"),
        (b"1e30,1,1,Buy,PlusTick\n", "line 3, field 'timestamp': '1e30' is out of range"),
        (b"86400,1,1,Buy,PlusTick\n", "line 3, field 'timestamp': '86400' is not a plausible"),
        (b"99999999999,1,1,Buy,PlusTick\n", "line 3, field 'timestamp': '99999999999' is"),
        (b"5e16,1,1,Buy,PlusTick\n", "line 3, field 'timestamp': '5e16' is not a plausible"),
        (b"1704067200,1,1,buy,PlusTick\n", "line 3, field 'side': 'buy' is not one of Buy, Sell"),
        (b"1704067200,1,1,,PlusTick\n", "line 3, field 'side': is empty"),
        (b"1704067200,1,1,Buy,UpTick\n", "line 3, field 'tickDirection': 'UpTick' is not one of"),
        (b"1704067200,1,1\n", "line 3, field 'side': missing (the line has 3 of 5 fields"),
        (b"1704067200,1,1,Buy,PlusTick,9\n", "line 3, field #6: unexpected extra field"),
        (b"1704067200,1\xff,1,Buy,PlusTick\n", "line 3, field 'price': invalid UTF-8 byte"),
        (b"1704067200,1,1,B\x00,PlusTick\n", "line 3, field 'side': control byte"),
    ],
)
def test_bad_value_names_file_line_and_field(body: bytes, expected: str) -> None:
    assert reject(HEADER + GOOD + body + GOOD).startswith(f"trades.csv {expected}")


def test_the_first_problem_is_reported_leftmost_field_first() -> None:
    message = reject(HEADER + GOOD + b"x,abc,1,Sideways,PlusTick\n" + b"1,-1,1,Buy,PlusTick\n")
    assert message.startswith("trades.csv line 3, field 'timestamp'")


def test_line_numbers_count_blank_lines() -> None:
    assert reject(HEADER + b"\n\n" + GOOD + b"1704067201,1,1,Up,\n").startswith(
        "trades.csv line 5, field 'side'"
    )


def test_missing_required_columns_are_named() -> None:
    message = reject(b"timestamp,qty,side\n1,1,Buy\n")
    assert message == (
        "trades.csv line 1: missing required column(s) 'price', 'size'; "
        "the header has 'timestamp', 'qty', 'side'"
    )


def test_repeated_column_is_rejected() -> None:
    assert "field 'price': the column appears twice" in reject(
        b"timestamp,price,size,side,price\n1,1,1,Buy,1\n"
    )


@pytest.mark.parametrize("data", [b"", b"\n\n  \n"])
def test_empty_file(data: bytes) -> None:
    assert reject(data) == "trades.csv line 1: the file is empty"


def test_header_only() -> None:
    assert reject(HEADER) == (
        "trades.csv line 2: no trades after the header (the file has only a header)"
    )


def test_empty_tick_direction_is_allowed_but_not_unknown_ones() -> None:
    trades = parse_trades(HEADER + b"1704067200,1,1,Buy,\n", "t.csv")
    assert trades["tick_direction"].to_list() == [None]


def test_symbol_column_must_match_the_symbol_being_ingested() -> None:
    data = (
        b"timestamp,symbol,price,size,side\n"
        b"1704067201,BTCUSDT,1,1,Buy\n1704067202,ETHUSDT,1,1,Buy\n"
    )
    assert reject(data, "BTCUSDT").startswith("trades.csv line 3, field 'symbol': 'ETHUSDT'")


def test_corrupt_gzip() -> None:
    packed = bytearray(gzip.compress(HEADER + GOOD * 200))
    packed[len(packed) // 2] ^= 0xFF
    assert reject(bytes(packed)).startswith("trades.csv: corrupt gzip data")


def test_truncated_gzip() -> None:
    packed = gzip.compress(HEADER + GOOD * 2000)
    assert "gzip stream is truncated" in reject(packed[: len(packed) - 20])


def test_gzip_with_trailing_garbage() -> None:
    assert "after the end of the gzip data" in reject(gzip.compress(HEADER + GOOD) + b"junk")


def test_gzip_bomb_is_refused_without_inflating_it() -> None:
    bomb = gzip.compress(HEADER + b"\0" * (300 * 1024 * 1024), compresslevel=9)  # ~300 KB
    assert len(bomb) < 1024 * 1024
    message = reject(bomb)
    assert "trades.csv: decompresses to more than" in message
    assert "gzip bomb" in message


def test_gzip_under_the_limit_is_read_whole() -> None:
    data = HEADER + GOOD * 1000
    assert gunzip_if_needed(gzip.compress(data), "t.csv", max_bytes=len(data)) == data
    with pytest.raises(InvalidInput, match="gzip bomb"):
        gunzip_if_needed(gzip.compress(data), "t.csv", max_bytes=len(data) - 1)
