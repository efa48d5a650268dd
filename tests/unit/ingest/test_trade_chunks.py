"""A trade file parsed in chunks equals the file parsed whole: Binance's derived tick
direction carries across chunks, headerless files are not given a fake header, and a bad
line is named by its line in the file."""

from __future__ import annotations

import io

import polars as pl
import pytest

from services.common.errors import InvalidInput
from services.ingest.domain.trade_chunks import TradeChunkParser
from services.ingest.domain.trades import parse_trades, with_occurrence
from services.ingest.reader import line_chunks, text_pieces
from tests.unit.ingest.test_binance import APE_ZIP, MS, PEPE_ZIP, unzip
from tests.unit.ingest.test_trades import _sample


def parse_in_chunks(data: bytes, name: str, chunk_bytes: int) -> pl.DataFrame:
    parser = TradeChunkParser(data[:65536], name, None, "auto")
    pieces = text_pieces(io.BytesIO(data), name, len(data))
    chunks = list(line_chunks(pieces, parser.header_lines, chunk_bytes))
    assert len(chunks) > 3  # the test means chunks
    parsed = [parser.parse(chunk.data, chunk.line_offset) for chunk in chunks]  # any order
    parts = [parser.in_file_order(trades) for trades in parsed]
    return with_occurrence(pl.concat(parts))  # as the store numbers them after staging


@pytest.mark.parametrize("path", [APE_ZIP, PEPE_ZIP], ids=["with header", "headerless"])
def test_binance_in_chunks_equals_whole(path: object) -> None:
    data = unzip(path)  # type: ignore[arg-type]
    whole = parse_trades(data, "b.csv")
    chunked = parse_in_chunks(data, "b.csv", chunk_bytes=256 * 1024)
    assert chunked.equals(whole, null_equal=True)


def test_bybit_in_chunks_equals_whole() -> None:
    data = _sample("binance_spot_BTCUSDT_20240808T235415_20240809T000505.csv.gz")
    assert parse_in_chunks(data, "t.csv", 200_000).equals(parse_trades(data, "t.csv"))


def test_a_bad_line_deep_in_a_headerless_file_is_named_by_its_file_line() -> None:
    lines = [f"{i},100.0,1,100,{MS + i},True,True" for i in range(1, 5001)]
    lines[4321] = f"4322,100.0,1,100,{MS},perhaps,True"
    data = ("\n".join(lines) + "\n").encode()
    with pytest.raises(InvalidInput) as caught:
        parse_in_chunks(data, "b.csv", chunk_bytes=20_000)
    assert str(caught.value).startswith("b.csv line 4322, field 'is_buyer_maker': 'perhaps'")
