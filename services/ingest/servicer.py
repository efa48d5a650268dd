"""gRPC IngestService: proto -> service call (in a thread: the work is CPU-bound) -> proto."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import grpc
import polars as pl

from services.common.grpc_errors import maps_errors
from services.common.grpc_server import ServerHandle, make_server
from services.contracts.trady.v1 import common_pb2, ingest_pb2, ingest_pb2_grpc
from services.ingest.domain.bars import BAR_SCHEMA, TICK_COUNT_COLUMNS
from services.ingest.domain.live import LiveTrade
from services.ingest.domain.results import IngestResult
from services.ingest.domain.symbols import normalize_symbol
from services.ingest.service import IngestService
from services.ingest.wire import KIND_TO_PROTO, PROTO_TO_KIND

SERVICE_NAME = "trady.v1.IngestService"

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class IngestServicer(ingest_pb2_grpc.IngestServiceServicer):
    def __init__(self, service: IngestService) -> None:
        self._service = service

    @maps_errors
    async def IngestFile(
        self, request: ingest_pb2.IngestFileRequest, context: Context
    ) -> ingest_pb2.IngestFileResponse:
        result = await asyncio.to_thread(
            self._service.ingest_file,
            request.path,
            request.symbol,
            PROTO_TO_KIND.get(request.kind, "auto"),
            request.display_name,
            timestamp_unit=request.timestamp_unit,
        )
        return ingest_result_to_proto(result)

    @maps_errors
    async def GetBars(
        self, request: ingest_pb2.GetBarsRequest, context: Context
    ) -> ingest_pb2.GetBarsResponse:
        frame = await asyncio.to_thread(
            self._service.bars,
            request.symbol,
            request.timeframe,
            request.range.start_ms,
            request.range.end_ms,
            request.limit,
        )
        return ingest_pb2.GetBarsResponse(
            symbol=normalize_symbol(request.symbol),
            timeframe=request.timeframe,
            bars=bars_to_proto(frame),
        )

    @maps_errors
    async def ListSymbols(
        self, request: ingest_pb2.ListSymbolsRequest, context: Context
    ) -> ingest_pb2.ListSymbolsResponse:
        coverage = await asyncio.to_thread(self._service.symbols)
        return ingest_pb2.ListSymbolsResponse(
            symbols=[
                ingest_pb2.SymbolCoverage(
                    symbol=c.symbol,
                    bars_1m=c.bars_1m,
                    first_ms=c.first_ms,
                    last_ms=c.last_ms,
                    trades=c.trades,
                )
                for c in coverage
            ]
        )

    @maps_errors
    async def StreamTrades(
        self,
        request_iterator: AsyncIterator[ingest_pb2.LiveTradeBatch],
        context: Context,
    ) -> ingest_pb2.StreamTradesSummary:
        accepted = late = 0
        closed: list[str] = []
        async for batch in request_iterator:
            update = await asyncio.to_thread(
                self._service.live_trades, batch.symbol, live_trades(batch), batch.now_ms
            )
            accepted += update.accepted
            late += update.late
            closed += [f"{update.symbol}@{ms}" for ms in update.closed_open_times_ms]
        return ingest_pb2.StreamTradesSummary(accepted=accepted, late=late, closed=closed)


def live_trades(batch: ingest_pb2.LiveTradeBatch) -> list[LiveTrade]:
    return [
        LiveTrade(
            t.timestamp_us, t.price, t.size, t.side, t.tick_direction or None, t.trade_id or None
        )  # fmt: skip
        for t in batch.trades
    ]


def ingest_result_to_proto(result: IngestResult) -> ingest_pb2.IngestFileResponse:
    return ingest_pb2.IngestFileResponse(
        symbol=result.symbol,
        kind=KIND_TO_PROTO[result.kind],
        rows_read=result.rows_read,
        rows_stored=result.rows_stored,
        duplicates=result.duplicates,
        first_ms=result.first_ms,
        last_ms=result.last_ms,
        bars_1m=result.bars_1m,
    )


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


def bars_to_proto(frame: pl.DataFrame) -> list[common_pb2.Bar]:
    """Bars as messages; order flow that is null (candle imports) goes out as NaN, and an
    unknown trade count as 0 (a bar built from trades always has at least one)."""
    columns = BAR_SCHEMA.names()[:10]
    rows = frame.select(columns).with_columns(pl.col("open_time").dt.epoch("ms")).iter_rows()
    ticks = frame.select(TICK_COUNT_COLUMNS).iter_rows()
    return [
        common_pb2.Bar(
            open_time_ms=t,
            open=o,
            high=h,
            low=lo,
            close=c,
            volume=v,
            buy_volume=_or_nan(buy),
            sell_volume=_or_nan(sell),
            trade_count=count or 0,
            vwap=_or_nan(vwap),
            # unset (not 0) when unknown: candle imports carry no tick directions
            **{name: n for name, n in zip(TICK_COUNT_COLUMNS, tick, strict=True) if n is not None},
        )
        for (t, o, h, lo, c, v, buy, sell, count, vwap), tick in zip(rows, ticks, strict=True)
    ]


def build_server(service: IngestService, port: int, host: str = "127.0.0.1") -> ServerHandle:
    """An unstarted server with the ingest servicer, health and reflection (port 0 = free)."""

    def register(server: grpc.aio.Server) -> None:
        ingest_pb2_grpc.add_IngestServiceServicer_to_server(  # type: ignore[no-untyped-call]  # generated
            IngestServicer(service), server
        )

    return make_server(register, [SERVICE_NAME], port, host)
