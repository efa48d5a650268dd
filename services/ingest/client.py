"""Typed, synchronous client of the ingest service: returns frozen, JSON-able dataclasses and
raises `services.common.errors` classes instead of grpc.RpcError."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from services.common.errors import InvalidInput
from services.common.grpc_client import DEFAULT_TIMEOUT_S, LONG_TIMEOUT_S, channel
from services.common.grpc_errors import raise_from_rpc
from services.contracts.trady.v1 import common_pb2, ingest_pb2, ingest_pb2_grpc
from services.ingest.domain.results import IngestResult, SymbolCoverage
from services.ingest.wire import KIND_TO_PROTO, PROTO_TO_KIND

__all__ = [
    "BarView",
    "IngestClient",
    "IngestResult",
    "LiveTradeIn",
    "StreamSummary",
    "SymbolCoverage",
]


@dataclass(frozen=True)
class LiveTradeIn:
    """One live trade to send: time in unix microseconds, taker side "Buy" or "Sell"."""

    timestamp_us: int
    price: float
    size: float
    side: str
    tick_direction: str = ""
    trade_id: str = ""


@dataclass(frozen=True)
class StreamSummary:
    accepted: int
    late: int
    """Older than the forming minute: dropped."""
    closed: list[str]
    """"SYMBOL@open_time_ms" of each 1m bar closed (stored and published), in order."""


@dataclass(frozen=True)
class BarView:
    """One bar. Order flow is None for bars imported from candles."""

    open_time_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    buy_volume: float | None
    sell_volume: float | None
    trade_count: int | None
    vwap: float | None
    plus_tick_count: int | None = None
    zero_plus_tick_count: int | None = None
    minus_tick_count: int | None = None
    zero_minus_tick_count: int | None = None


TICK_FIELDS = (
    "plus_tick_count",
    "zero_plus_tick_count",
    "minus_tick_count",
    "zero_minus_tick_count",
)


def _or_none(value: float) -> float | None:
    return None if math.isnan(value) else value


def _bar_view(bar: common_pb2.Bar) -> BarView:
    return BarView(
        open_time_ms=bar.open_time_ms,
        open=bar.open,
        high=bar.high,
        low=bar.low,
        close=bar.close,
        volume=bar.volume,
        buy_volume=_or_none(bar.buy_volume),
        sell_volume=_or_none(bar.sell_volume),
        trade_count=bar.trade_count or None,
        vwap=_or_none(bar.vwap),
        **{name: getattr(bar, name) if bar.HasField(name) else None for name in TICK_FIELDS},
    )


class IngestClient:
    """Not thread-safe to close while in use; otherwise calls may come from any thread."""

    def __init__(self, address: str) -> None:
        self._channel = channel(address)
        self._stub = ingest_pb2_grpc.IngestServiceStub(self._channel)  # type: ignore[no-untyped-call]

    def ingest_file(
        self,
        path: str,
        symbol: str,
        kind: str = "auto",
        display_name: str = "",
        timestamp_unit: str = "auto",
    ) -> IngestResult:
        """Ingest a file the server can read (under the data root or a local path).

        kind: "auto" | "trades" | "candles"; timestamp_unit: "auto" | "s" | "ms" | "us" | "ns".
        Raises InvalidInput naming the line and field
        of the first problem (nothing is stored then), NotFound if there is no such file.
        """
        if kind not in KIND_TO_PROTO:
            raise InvalidInput(f"invalid kind {kind!r}; use one of {', '.join(KIND_TO_PROTO)}")
        request = ingest_pb2.IngestFileRequest(
            path=path,
            symbol=symbol,
            kind=KIND_TO_PROTO[kind],
            display_name=display_name,
            timestamp_unit=timestamp_unit,
        )
        with raise_from_rpc():
            reply = self._stub.IngestFile(request, timeout=LONG_TIMEOUT_S)
        return IngestResult(
            symbol=reply.symbol,
            kind=PROTO_TO_KIND.get(reply.kind, "auto"),
            rows_read=reply.rows_read,
            rows_stored=reply.rows_stored,
            duplicates=reply.duplicates,
            first_ms=reply.first_ms,
            last_ms=reply.last_ms,
            bars_1m=reply.bars_1m,
        )

    def bars(
        self, symbol: str, timeframe: str, start_ms: int = 0, end_ms: int = 0, limit: int = 0
    ) -> list[BarView]:
        """Bars in [start_ms, end_ms) (0 = unbounded), at most `limit` (0 = server default),
        newest last. Raises NotFound if the symbol has no bars."""
        request = ingest_pb2.GetBarsRequest(
            symbol=symbol,
            timeframe=timeframe,
            range=common_pb2.TimeRange(start_ms=start_ms, end_ms=end_ms),
            limit=limit,
        )
        with raise_from_rpc():
            reply = self._stub.GetBars(request, timeout=DEFAULT_TIMEOUT_S)
        return [_bar_view(bar) for bar in reply.bars]

    def stream_trades(
        self, batches: Iterable[tuple[str, Sequence[LiveTradeIn], int]]
    ) -> StreamSummary:
        """Send batches of (symbol, trades, now_ms or 0) on one client stream. Raises
        InvalidInput for an invalid trade (earlier batches stay applied)."""

        def requests() -> Iterator[ingest_pb2.LiveTradeBatch]:
            for symbol, trades, now_ms in batches:
                yield ingest_pb2.LiveTradeBatch(
                    symbol=symbol,
                    now_ms=now_ms,
                    trades=[ingest_pb2.LiveTrade(**dataclasses.asdict(t)) for t in trades],
                )

        with raise_from_rpc():
            reply = self._stub.StreamTrades(requests(), timeout=LONG_TIMEOUT_S)
        return StreamSummary(reply.accepted, reply.late, list(reply.closed))

    def symbols(self) -> list[SymbolCoverage]:
        """Symbols with stored bars and their coverage."""
        with raise_from_rpc():
            reply = self._stub.ListSymbols(
                ingest_pb2.ListSymbolsRequest(), timeout=DEFAULT_TIMEOUT_S
            )
        return [
            SymbolCoverage(s.symbol, s.bars_1m, s.first_ms, s.last_ms, s.trades)
            for s in reply.symbols
        ]

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> IngestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
