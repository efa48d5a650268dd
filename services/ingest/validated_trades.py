"""The validated trades of one file, held until the whole file has been validated (nothing
may be stored before): in memory while they are small, in the staging folder beyond that."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from services.ingest.domain.chunked import join_chunks
from services.ingest.domain.days import utc_days
from services.ingest.domain.trades import with_occurrence
from services.ingest.store import TradeStore

HELD_BYTES = 256 * 1024 * 1024
"""Parsed trades (~30 bytes each, ~9 M trades) kept in memory before spilling to staging.
About one busy day of BTCUSDT: merging a day into the store holds that much anyway, so a
file this small costs no more memory in one piece, and skips writing and reading back
every trade (~0.4 s per 5 M trades)."""


class ValidatedTrades:
    """Validated chunks of one file, in file order; then their trades per UTC day.

    Not thread-safe: one ingest adds its chunks, then reads the days.
    """

    def __init__(self, store: TradeStore, staging: Path, held_bytes: int = HELD_BYTES) -> None:
        self._store = store
        self._staging = staging
        self._held_bytes = held_bytes
        self._held: list[pl.DataFrame] | None = []  # None: spilled, staging has every chunk
        self._chunks = 0
        self._held_size = 0
        self.rows = 0
        """Trades added so far."""
        self._span_ms: tuple[int, int] | None = None
        self._by_day: dict[date, pl.DataFrame] = {}

    def add(self, trades: pl.DataFrame) -> None:
        """Add the next chunk's trades (sorted by time, as parsing returns them)."""
        number = self._chunks
        self._chunks += 1
        self.rows += trades.height
        if trades.height:
            millis = trades["timestamp"].dt.epoch("ms")
            low, high = int(millis.min()), int(millis.max())  # type: ignore[arg-type]
            if self._span_ms is not None:
                low, high = min(low, self._span_ms[0]), max(high, self._span_ms[1])
            self._span_ms = (low, high)
        if self._held is None:
            self._store.stage(self._staging, number, trades)
            return
        self._held.append(trades)
        self._held_size += int(trades.estimated_size())
        if self._held_size > self._held_bytes:
            for earlier, frame in enumerate(self._held):
                self._store.stage(self._staging, earlier, frame)
            self._held = None

    def span_ms(self) -> tuple[int, int]:
        """The first and last trade time (epoch ms) of all trades added. Parsing refuses a
        file without trades, so there is one."""
        assert self._span_ms is not None, "no trades were added"
        return self._span_ms

    @property
    def spilled(self) -> bool:
        """True once the trades went to the staging folder."""
        return self._held is None

    def days(self) -> list[date]:
        """The UTC days that have trades, ascending. Call once every chunk has been added."""
        if self._held is None:
            return self._store.staged_days(self._staging)
        if self._held:
            # Numbered over the whole file at once: the same as day by day, since identical
            # rows share a timestamp and so a day.
            self._by_day = dict(utc_days(join_chunks(self._held)))
            self._held = []
        return sorted(self._by_day)

    def of_day(self, day: date) -> pl.DataFrame:
        """The day's trades sorted by time, ties in file order, with their `occurrence`
        numbers; each day can be read once (held memory is released as it is read)."""
        if self._held is None:
            return with_occurrence(self._store.read_staged(self._staging, day))
        return self._by_day.pop(day)
