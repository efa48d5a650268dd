"""Live trades of many symbols -> their forming 1m bars; each minute that closes is stored
(by the same code as a batch ingest) and its bar published for the features service."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import polars as pl

from services.common.errors import InvalidInput
from services.ingest.bar_store import BarStore
from services.ingest.domain.live import MINUTE_US, FormingMinute, LiveTrade, live_trades_frame
from services.ingest.domain.results import LiveUpdate
from services.ingest.events import Publisher, publish_bars

StoreTrades = Callable[[str, pl.DataFrame], None]
"""Stores a closed minute's trades of a symbol: trade files, 1m and every timeframe."""


class LiveFeed:
    """The forming minute of every symbol fed live. Thread-safe."""

    def __init__(
        self, store_trades: StoreTrades, bars: BarStore, publisher: Publisher | None
    ) -> None:
        self._store_trades = store_trades
        self._bars = bars
        self._publisher = publisher  # of closed live bars; None: stored, not published
        self._forming: dict[str, FormingMinute] = {}
        self._lock = threading.Lock()

    def feed(self, symbol: str, trades: Sequence[LiveTrade], now_ms: int = 0) -> LiveUpdate:
        """See IngestService.live_trades; `symbol` is normalised."""
        for index, trade in enumerate(trades):
            problem = trade.problem()
            if problem:
                raise InvalidInput(f"live trade #{index + 1} of {symbol}: {problem}")
        closed: list[list[LiveTrade]] = []
        late = 0
        with self._lock:
            forming = self._forming.setdefault(symbol, FormingMinute())
            for trade in trades:
                minute, was_late = forming.add(trade)
                late += was_late
                if minute:
                    closed.append(minute)
            if now_ms:
                minute = forming.close_before(now_ms * 1000)
                if minute:
                    closed.append(minute)
            forming_ms = (forming.start_us or 0) // 1000
        published: list[int] = []
        for minute in closed:
            frame = live_trades_frame(minute)
            self._store_trades(symbol, frame)
            open_ms = min(trade.timestamp_us for trade in minute) // MINUTE_US * MINUTE_US // 1000
            bar = self._bars.read(symbol, "1m", open_ms, open_ms + 60_000)
            if self._publisher is not None:
                publish_bars(self._publisher, symbol, "1m", bar)
            published.append(open_ms)
        return LiveUpdate(symbol, len(trades) - late, late, published, forming_ms)
