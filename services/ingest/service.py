"""Ingest use cases: validate a whole file, then (under the symbol's lock) merge it into the
stored trades or 1m bars and rebuild every timeframe; list and read bars."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl

from services.common.errors import InvalidInput, NotFound
from services.ingest.domain.bars import bars_from_trades, merge_candle_bars, merge_trade_bars
from services.ingest.domain.candles import parse_candles
from services.ingest.domain.dedup import merge_trades
from services.ingest.domain.resample import HIGHER_TIMEFRAMES, resample
from services.ingest.domain.results import IngestResult, SymbolCoverage
from services.ingest.domain.sources import (
    FileFormat,
    Kind,
    detect_kind,
    gunzip_if_needed,
    sniff_format,
)
from services.ingest.domain.symbols import normalize_symbol
from services.ingest.domain.trades import parse_trades
from services.ingest.store import BarStore, TradeStore

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
"""Receives (fraction done 0..1, message); the worker passes RQ's report_progress."""

KINDS = ("auto", "trades", "candles")
DEFAULT_BAR_LIMIT = 10_000
MAX_BAR_LIMIT = 500_000  # ~45 MB of Bar messages, under the 64 MB gRPC message cap
_DAY = "_day"


def _no_progress(fraction: float, message: str) -> None:
    return None


class IngestService:
    """Thread-safe: writes to one symbol are serialised by the store's per-symbol lock."""

    def __init__(self, trade_store: TradeStore, bar_store: BarStore) -> None:
        self._trades = trade_store
        self._bars = bar_store

    def ingest_file(
        self,
        path: str,
        symbol: str,
        kind: str = "auto",
        display_name: str = "",
        progress: Progress | None = None,
    ) -> IngestResult:
        """Validate the file at `path` completely, then store it for `symbol`.

        `kind` is "auto" (detected from the content), "trades" or "candles"; `display_name`
        names the file in messages (default: the path's name). Nothing is written unless the
        whole file is valid. Raises InvalidInput (with line and field), NotFound (no file).
        """
        symbol = normalize_symbol(symbol)
        if kind not in KINDS:
            raise InvalidInput(f"invalid kind {kind!r}; use one of {', '.join(KINDS)}")
        name = display_name or Path(path).name
        report = progress or _no_progress
        data = gunzip_if_needed(_read_input(path, name), name)
        report(0.1, f"read {name} ({len(data):,} bytes)")
        fmt = sniff_format(data, name)
        resolved = detect_kind(data, fmt, name) if kind == "auto" else Kind(kind)
        if resolved is Kind.TRADES:
            if fmt is not FileFormat.CSV:
                raise InvalidInput(f"{name}: trades must be a CSV file, not {fmt.value}")
            trades = parse_trades(data, name, symbol)
            report(0.4, f"validated {trades.height:,} trades")
            result = self._store_trades(symbol, trades, report)
        else:
            candles = parse_candles(data, fmt, name)
            report(0.4, f"validated {candles.height:,} candles")
            result = self._store_candles(symbol, candles, report)
        report(1.0, f"stored {result.rows_stored:,} new rows, {result.bars_1m:,} 1m bars")
        log.info("ingested", extra={"file": name, **dataclasses.asdict(result)})
        return result

    def _store_trades(self, symbol: str, trades: pl.DataFrame, report: Progress) -> IngestResult:
        by_day = trades.with_columns(pl.col("timestamp").dt.date().alias(_DAY)).partition_by(
            _DAY, maintain_order=True, include_key=False, as_dict=True
        )
        added = 0
        rebuilt: list[pl.DataFrame] = []
        with self._trades.lock(symbol):
            for done, (key, batch) in enumerate(by_day.items(), start=1):
                day: date = key[0]
                merge = merge_trades(self._trades.read_day(symbol, day), batch)
                if merge.added:
                    self._trades.write_day(symbol, day, merge.trades)
                added += merge.added
                # Rebuilt even when nothing was added, so re-ingesting a file also repairs
                # bars left stale by a crash between the trade and bar writes.
                rebuilt.append(bars_from_trades(merge.trades))
                report(0.4 + 0.4 * done / len(by_day), f"stored trades of {day}")
            bars_1m = merge_trade_bars(self._bars.load(symbol, "1m"), pl.concat(rebuilt))
            self._write_all_timeframes(symbol, bars_1m)
        first_ms, last_ms = _span_ms(trades["timestamp"])
        return IngestResult(
            symbol=symbol,
            kind=Kind.TRADES.value,
            rows_read=trades.height,
            rows_stored=added,
            duplicates=trades.height - added,
            first_ms=first_ms,
            last_ms=last_ms,
            bars_1m=bars_1m.height,
        )

    def _store_candles(self, symbol: str, candles: pl.DataFrame, report: Progress) -> IngestResult:
        with self._trades.lock(symbol):
            merge = merge_candle_bars(self._bars.load(symbol, "1m"), candles)
            report(0.6, f"merged {merge.stored:,} candles")
            self._write_all_timeframes(symbol, merge.bars)
        first_ms, last_ms = _span_ms(candles["open_time"])
        return IngestResult(
            symbol=symbol,
            kind=Kind.CANDLES.value,
            rows_read=candles.height,
            rows_stored=merge.stored,
            duplicates=candles.height - merge.stored,
            first_ms=first_ms,
            last_ms=last_ms,
            bars_1m=merge.bars.height,
        )

    def _write_all_timeframes(self, symbol: str, bars_1m: pl.DataFrame) -> None:
        """Write 1m and every higher timeframe, each only if it changed (an idempotent
        re-ingest leaves every file untouched). Rebuilding from the whole 1m series is simple
        and fast enough (~0.1 s per timeframe for a year of minutes)."""
        frames = {"1m": bars_1m, **{tf: resample(bars_1m, tf) for tf in HIGHER_TIMEFRAMES}}
        for timeframe, frame in frames.items():
            if not frame.equals(self._bars.load(symbol, timeframe), null_equal=True):
                self._bars.write(symbol, timeframe, frame)

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


def _read_input(path: str, name: str) -> bytes:
    """The uploaded or local file, whole (validation must see all of it before any write)."""
    if not path:
        raise InvalidInput("path is required: the file to ingest")
    source = Path(path)
    if not source.exists():
        raise NotFound(f"{name}: no such file at {path}")
    if not source.is_file():
        raise InvalidInput(f"{name}: {path} is not a regular file")
    try:
        return source.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{name}: cannot read {path}: {exc.strerror}") from None
