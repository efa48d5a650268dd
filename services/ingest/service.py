"""Ingest use cases: validate a whole file, then (under the symbol's lock) merge it into the
stored trades or 1m bars and rebuild every timeframe; list and read bars."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path

import polars as pl

from services.common.errors import InvalidInput
from services.ingest.bar_store import BarStore, month_keys
from services.ingest.chunked_validation import validate_in_chunks
from services.ingest.domain.bars import bars_from_trades, merge_candle_bars
from services.ingest.domain.candles import parse_candles
from services.ingest.domain.days import utc_days
from services.ingest.domain.dedup import merge_trades
from services.ingest.domain.epoch import TimeUnit, time_unit
from services.ingest.domain.live import LiveTrade
from services.ingest.domain.results import IngestResult, LiveUpdate, SymbolCoverage
from services.ingest.domain.sources import FileFormat, Kind, detect_kind, sniff_format
from services.ingest.domain.symbols import normalize_symbol
from services.ingest.domain.trade_chunks import TradeChunkParser
from services.ingest.events import Publisher
from services.ingest.live_feed import LiveFeed
from services.ingest.reader import CHUNK_BYTES, open_input, text_pieces
from services.ingest.store import TradeStore
from services.ingest.stored_timeframes import store_timeframes, store_trade_bars
from services.ingest.validated_trades import HELD_BYTES, ValidatedTrades

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
"""Receives (fraction done 0..1, message); the worker passes RQ's report_progress."""

KINDS = ("auto", "trades", "candles")
DEFAULT_BAR_LIMIT = 10_000
MAX_BAR_LIMIT = 500_000  # ~45 MB of Bar messages, under the 64 MB gRPC message cap
_HEAD_BYTES = 64 * 1024  # enough to sniff the format and the header


def _no_progress(fraction: float, message: str) -> None:
    return None


class IngestService:
    """Thread-safe: writes to one symbol are serialised by the store's per-symbol lock."""

    def __init__(
        self,
        trade_store: TradeStore,
        bar_store: BarStore,
        chunk_bytes: int = CHUNK_BYTES,
        publisher: Publisher | None = None,
        held_bytes: int = HELD_BYTES,
    ) -> None:
        self._trades = trade_store
        self._bars = bar_store
        self._chunk_bytes = chunk_bytes  # of trade CSV text validated at a time
        self._held_bytes = held_bytes  # of validated trades kept in memory, not staged
        self._live = LiveFeed(self._store_live_minute, bar_store, publisher)

    def ingest_file(
        self,
        path: str,
        symbol: str,
        kind: str = "auto",
        display_name: str = "",
        progress: Progress | None = None,
        timestamp_unit: str = "auto",
    ) -> IngestResult:
        """Validate the file at `path` completely, then store it for `symbol`.

        `kind` is "auto" (detected from the content), "trades" or "candles"; `display_name`
        names the file in messages (default: the path's name). Nothing is written unless the
        whole file is valid. `timestamp_unit` declares how numeric times are read (s, ms, us,
        ns; "auto" or "": by each value's magnitude). Raises InvalidInput (with line and
        field), NotFound (no file).
        """
        symbol = normalize_symbol(symbol)
        if kind not in KINDS:
            raise InvalidInput(f"invalid kind {kind!r}; use one of {', '.join(KINDS)}")
        unit = time_unit(timestamp_unit)
        name = display_name or Path(path).name
        report = progress or _no_progress
        with open_input(path, name) as handle:
            size = os.fstat(handle.fileno()).st_size
            pieces = text_pieces(handle, name, size)
            first = next(pieces, (b"", 0))
            pieces = itertools.chain([first], pieces)
            head = first[0][:_HEAD_BYTES]
            fmt = sniff_format(head, name)
            resolved = detect_kind(head, fmt, name) if kind == "auto" else Kind(kind)
            if resolved is Kind.TRADES and fmt is not FileFormat.CSV:
                raise InvalidInput(f"{name}: trades must be a CSV file, not {fmt.value}")
            if resolved is Kind.TRADES:
                result = self._stream_trades(symbol, name, size, head, pieces, report, unit)
            else:
                # Candle files are small (a year of minutes is ~30 MB): read whole. The
                # gzip bomb limit applies all the same.
                data = b"".join(piece for piece, _ in pieces)
                report(0.1, f"read {name} ({len(data):,} bytes)")
                candles = parse_candles(data, fmt, name, unit=unit)
                report(0.4, f"validated {candles.height:,} candles")
                result = self._store_candles(symbol, candles, report)
        report(1.0, f"stored {result.rows_stored:,} new rows, {result.bars_1m:,} 1m bars")
        log.info("ingested", extra={"file": name, **dataclasses.asdict(result)})
        return result

    def _stream_trades(
        self,
        symbol: str,
        name: str,
        size: int,
        head: bytes,
        pieces: Iterator[tuple[bytes, int]],
        report: Progress,
        unit: TimeUnit,
    ) -> IngestResult:
        """Validate the file chunk by chunk, holding the valid trades in memory or, for a
        large file, in a staging folder (memory: a few chunks). Only if all of it is valid,
        merge it into the store one UTC day at a time (memory: one day). A bad line anywhere
        leaves the store untouched."""
        with self._trades.staging() as staging:
            validated = ValidatedTrades(self._trades, staging, self._held_bytes)
            parser = TradeChunkParser(head, name, symbol, unit)
            validate_in_chunks(pieces, parser, size, self._chunk_bytes, validated, report)
            added, bars_1m = self._merge_into_store(
                symbol, validated.days(), validated.of_day, report, (0.6, 0.95)
            )
        return IngestResult.of_trades(symbol, validated.rows, added, validated.span_ms(), bars_1m)

    def _merge_into_store(
        self,
        symbol: str,
        days: Sequence[date],
        trades_of: Callable[[date], pl.DataFrame],
        report: Progress,
        progress: tuple[float, float],
    ) -> tuple[int, int]:
        """Under the symbol's lock, merge each day's new trades (fetched one day at a time,
        so memory holds one day) into its stored day, then the rebuilt 1m bars into the bar
        series; returns (trades added, the symbol's 1m bar count)."""
        added = 0
        rebuilt: list[pl.DataFrame] = []
        low, high = progress
        with self._trades.lock(symbol):
            for done, day in enumerate(days, start=1):
                merge = merge_trades(self._trades.read_day(symbol, day), trades_of(day))
                if merge.added:
                    self._trades.write_day(symbol, day, merge.trades)
                added += merge.added
                # Rebuilt even when nothing was added, so re-ingesting a file also repairs
                # bars left stale by a crash between the trade and bar writes.
                rebuilt.append(bars_from_trades(merge.trades))
                report(low + (high - low) * done / len(days), f"stored trades of {day}")
            bars_1m = store_trade_bars(self._bars, symbol, pl.concat(rebuilt))
        return added, bars_1m

    def _store_live_minute(self, symbol: str, trades: pl.DataFrame) -> None:
        """A closed live minute's trades, stored exactly as a batch ingest stores them."""
        by_day = dict(utc_days(trades))
        self._merge_into_store(symbol, list(by_day), by_day.__getitem__, _no_progress, (0, 1))

    def _store_candles(self, symbol: str, candles: pl.DataFrame, report: Progress) -> IngestResult:
        with self._trades.lock(symbol):
            months = month_keys(candles["open_time"])
            merge = merge_candle_bars(self._bars.load_months(symbol, "1m", months), candles)
            report(0.6, f"merged {merge.stored:,} candles")
            store_timeframes(self._bars, symbol, months, merge.bars, candles["open_time"])
            bars_1m = self._bars.count(symbol, "1m")
        first_ms, last_ms = _span_ms(candles["open_time"])
        return IngestResult(
            symbol=symbol,
            kind=Kind.CANDLES.value,
            rows_read=candles.height,
            rows_stored=merge.stored,
            duplicates=candles.height - merge.stored,
            first_ms=first_ms,
            last_ms=last_ms,
            bars_1m=bars_1m,
        )

    def live_trades(self, symbol: str, trades: Sequence[LiveTrade], now_ms: int = 0) -> LiveUpdate:
        """Feed live trades of `symbol` (any order within the forming minute); `now_ms`
        (optional) is the sender's clock, which closes a minute even when no trade follows.

        Each closed minute is stored like a batch ingest of its trades (trade files, 1m and
        every timeframe, so batch and live agree), then its 1m bar is published on
        BARS_CLOSED_CHANNEL. Trades older than the forming minute are counted as late and
        dropped. Raises InvalidInput (nothing of the batch applied) for an invalid trade.
        """
        return self._live.feed(normalize_symbol(symbol), trades, now_ms)

    def bars(
        self, symbol: str, timeframe: str, start_ms: int = 0, end_ms: int = 0, limit: int = 0
    ) -> pl.DataFrame:
        """At most `limit` bars (0 = DEFAULT_BAR_LIMIT) in [start_ms, end_ms), newest last.

        Raises NotFound if the symbol has no bars, InvalidInput for bad arguments.
        """
        if limit < 0 or limit > MAX_BAR_LIMIT:
            raise InvalidInput(f"limit must be between 0 and {MAX_BAR_LIMIT} (0 = default)")
        frame = self._bars.read(symbol, timeframe, start_ms, end_ms)
        return frame.tail(limit or DEFAULT_BAR_LIMIT)

    def symbols(self) -> list[SymbolCoverage]:
        """Every symbol with bars: its 1m count and span, and its stored trades."""
        coverage = []
        for symbol in self._bars.symbols():
            times = self._bars.open_times(symbol)
            if times.is_empty():
                continue
            first_ms, last_ms = _span_ms(times)
            coverage.append(
                SymbolCoverage(symbol, times.len(), first_ms, last_ms, self._trades.count(symbol))
            )
        return coverage


def _span_ms(times: pl.Series) -> tuple[int, int]:
    millis = times.dt.epoch("ms")
    return int(millis.min()), int(millis.max())  # type: ignore[arg-type]  # non-empty series
