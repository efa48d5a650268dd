"""What the ingest use cases return: plain frozen dataclasses with JSON-able fields (times as
int Unix ms, UTC), shared by the service, the typed client and the worker."""

from __future__ import annotations

from dataclasses import dataclass

from services.ingest.domain.sources import Kind


@dataclass(frozen=True)
class IngestResult:
    """The outcome of ingesting one file.

    `rows_stored` counts rows that changed the store (new trades; candles that added or
    corrected a minute); `duplicates` = `rows_read` - `rows_stored` (already stored, or for
    candles, a minute that already has a bar built from trades). `first_ms`/`last_ms` span
    the file's rows; `bars_1m` is the symbol's 1m bar count after the ingest.
    """

    symbol: str
    kind: str  # "trades" | "candles"
    rows_read: int
    rows_stored: int
    duplicates: int
    first_ms: int
    last_ms: int
    bars_1m: int

    @classmethod
    def of_trades(
        cls, symbol: str, rows_read: int, added: int, span_ms: tuple[int, int], bars_1m: int
    ) -> IngestResult:
        """A trade ingest's result: what was not added was already stored."""
        first_ms, last_ms = span_ms
        duplicates = rows_read - added
        kind = Kind.TRADES.value
        return cls(symbol, kind, rows_read, added, duplicates, first_ms, last_ms, bars_1m)


@dataclass(frozen=True)
class SymbolCoverage:
    """A symbol with stored bars: how many 1m bars, their open-time span, stored trades."""

    symbol: str
    bars_1m: int
    first_ms: int
    last_ms: int
    trades: int


@dataclass(frozen=True)
class LiveUpdate:
    """What one batch of live trades did."""

    symbol: str
    accepted: int
    late: int
    """Trades older than the forming minute: dropped (that minute is already closed)."""
    closed_open_times_ms: list[int]
    """Open times of the 1m bars this batch closed (stored and published), oldest first."""
    forming_open_time_ms: int
    """Open time of the minute now forming (0 before the first trade)."""
