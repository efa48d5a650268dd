"""One trade file parsed chunk by chunk, in file order, so memory stays flat in its size.

The file's layout (Bybit-style with a header, or one of Binance's, possibly headerless) is
decided once from its head, not per chunk: a chunk starting with a damaged line must be
reported as a bad line of that layout, not mistaken for another format.

Chunks are parsed concurrently (`parse` is thread-safe), then handed on in file order through
`in_file_order`, which continues Binance's derived tick direction from the previous chunk's
last trade (binance.TickCarry): only the trades before a chunk's first price move can change.
"""

from __future__ import annotations

import polars as pl

from services.ingest.domain.binance import (
    TickCarry,
    binance_layout,
    derived_tick_direction,
    parse_binance_trades,
)
from services.ingest.domain.epoch import TimeUnit
from services.ingest.domain.trades import fast_parse_trades, validating_parse_trades


class TradeChunkParser:
    """Parses the chunks of one trade file; not reusable across files."""

    def __init__(self, head: bytes, name: str, symbol: str | None, unit: TimeUnit) -> None:
        self._layout = binance_layout(head)
        self.name = name
        self._symbol = symbol
        self._unit = unit
        self._carry: TickCarry | None = None

    @property
    def header_lines(self) -> int:
        """Lines at the top of the file to repeat before every later chunk (0 or 1)."""
        return 0 if self._layout is not None and self._layout.names is not None else 1

    def parse(self, data: bytes, line_offset: int = 0) -> pl.DataFrame:
        """Validated trades of one chunk of whole lines (see `header_lines`), as if it were
        the first; raises InvalidInput naming the file's line and field. Thread-safe."""
        if self._layout is None:
            fast = fast_parse_trades(data, self._symbol, unit=self._unit)
            if fast is not None:
                return fast
            return validating_parse_trades(
                data, self.name, self._symbol, line_offset, unit=self._unit
            )
        return parse_binance_trades(
            data, self.name, self._layout, unit=self._unit, line_offset=line_offset
        )

    def in_file_order(self, trades: pl.DataFrame) -> pl.DataFrame:
        """`trades` of the next chunk (from `parse`), continued from the chunks before it.
        Call once per chunk, in file order."""
        if self._layout is None:
            return trades
        if self._carry is not None:
            tick = derived_tick_direction(pl.col("price"), self._carry).alias("tick_direction")
            trades = trades.with_columns(tick)
        self._carry = TickCarry.after(trades) or self._carry
        return trades
