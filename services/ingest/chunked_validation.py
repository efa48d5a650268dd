"""A trade CSV too large to validate in one piece -> its validated trades, chunk by chunk.

Three things run at once: a background thread reads (and inflates) the file and cuts it into
chunks of whole lines, while two worker threads parse and validate consecutive chunks. Each
step spends most of its time outside the GIL (isal, numba, polars), and a chunk's parse has
single-threaded stretches (the timestamp casts) that a second chunk fills.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import closing

import polars as pl

from services.ingest.domain.trade_chunks import TradeChunkParser
from services.ingest.read_ahead import map_ahead, read_ahead
from services.ingest.reader import Chunk, line_chunks
from services.ingest.validated_trades import ValidatedTrades

PARSE_WORKERS = 2
"""Chunks parsed at once: two keep two cores busy (~25% faster than one on this machine);
memory holds one more chunk being parsed."""

Progress = Callable[[float, str], None]


def validate_in_chunks(
    pieces: Iterator[tuple[bytes, int]],
    parser: TradeChunkParser,
    size: int,
    chunk_bytes: int,
    into: ValidatedTrades,
    report: Progress,
) -> None:
    """Parse the trade CSV arriving as `pieces` (text, file bytes read so far; `size` bytes
    in all) with `parser` in chunks of about `chunk_bytes`, adding each chunk's trades to
    `into` in file order. Reports progress up to 0.6. Raises InvalidInput for the first
    problem in file order, naming its line in the file; no thread of this call outlives it.
    """
    started = time.perf_counter()

    name = parser.name

    def parse(chunk: Chunk) -> pl.DataFrame:
        return parser.parse(chunk.data, chunk.line_offset)

    chunks = line_chunks(pieces, parser.header_lines, chunk_bytes)
    with (
        read_ahead(chunks, name=f"ingest-read-{name}") as ahead,
        closing(map_ahead(parse, ahead, PARSE_WORKERS)) as parsed,
    ):
        for chunk, trades in parsed:
            into.add(parser.in_file_order(trades))
            elapsed = max(time.perf_counter() - started, 1e-9)
            done = chunk.file_bytes_read / size if size else 1.0
            report(
                0.6 * done,
                f"validated {into.rows:,} rows, {chunk.file_bytes_read / 1e6 / elapsed:,.0f} "
                f"MB/s, {done:.0%} of {name}",
            )
