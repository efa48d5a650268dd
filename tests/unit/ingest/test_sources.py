"""Format and kind sniffing, and symbol checks."""

from __future__ import annotations

import pytest

from services.common.errors import InvalidInput
from services.ingest.domain.sources import FileFormat, Kind, detect_kind, sniff_format
from services.ingest.domain.symbols import normalize_symbol
from tests.conftest import SAMPLE


@pytest.mark.parametrize(
    ("data", "fmt", "kind"),
    [
        (b"timestamp,price,size,side\n", FileFormat.CSV, Kind.TRADES),
        (b"\xef\xbb\xbf\nTimestamp,Symbol,Side,Size,Price\n", FileFormat.CSV, Kind.TRADES),
        (b"date,open,high,low,close,volume\n", FileFormat.CSV, Kind.CANDLES),
        (b"PAR1....", FileFormat.PARQUET, Kind.CANDLES),
        (b"ARROW1\x00\x00", FileFormat.ARROW, Kind.CANDLES),
    ],
)
def test_detects_format_and_kind(data: bytes, fmt: FileFormat, kind: Kind) -> None:
    assert sniff_format(data, "f") is fmt
    assert detect_kind(data, fmt, "f") is kind


def test_real_feather_is_arrow() -> None:
    path = SAMPLE / "candles" / "binance_spot_BTCUSDT_1m_20250520-20250818.feather"
    assert sniff_format(path.read_bytes()[:16], path.name) is FileFormat.ARROW


def test_unknown_header_and_feather_v1_are_explained() -> None:
    with pytest.raises(InvalidInput, match=r"^f line 1: cannot tell trades from candles"):
        detect_kind(b"a,b,c\n1,2,3\n", FileFormat.CSV, "f")
    with pytest.raises(InvalidInput, match="Feather v1"):
        sniff_format(b"FEA1....", "f")


@pytest.mark.parametrize(("raw", "clean"), [("BTCUSDT", "BTCUSDT"), (" ethusdt ", "ETHUSDT")])
def test_symbols_are_upper_cased(raw: str, clean: str) -> None:
    assert normalize_symbol(raw) == clean


@pytest.mark.parametrize("raw", ["", "B", "BTC/USDT", "../etc", "A" * 21, "BTC-USDT"])
def test_bad_symbols_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidInput, match="invalid symbol"):
        normalize_symbol(raw)
