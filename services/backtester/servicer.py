"""gRPC adapter of the backtester: proto -> BacktesterService.run -> proto, nothing else."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc

from services.backtester.service import BacktesterService
from services.common.grpc_errors import maps_errors
from services.common.grpc_server import ServerHandle, make_server
from services.contracts.trady.v1 import backtester_pb2, backtester_pb2_grpc

SERVICE_NAME = backtester_pb2.DESCRIPTOR.services_by_name["BacktesterService"].full_name


class BacktesterServicer(backtester_pb2_grpc.BacktesterServiceServicer):
    def __init__(self, service: BacktesterService) -> None:
        self._service = service

    @maps_errors
    async def RunBacktest(  # noqa: N802 - the name is fixed by the proto
        self,
        request: backtester_pb2.RunBacktestRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> backtester_pb2.RunBacktestResponse:
        # The backtest is CPU-bound and blocking; keep the event loop free for health checks.
        outcome = await asyncio.to_thread(
            self._service.run,
            symbol=request.symbol,
            model_version=request.model_version,
            start_ms=request.range.start_ms,
            end_ms=request.range.end_ms,
            rule=rule_overrides(request),
            run_id=request.run_id,
        )
        return backtester_pb2.RunBacktestResponse(
            run_id=outcome.run_id,
            report_json_path=outcome.report_json_path,
            report_html_path=outcome.report_html_path,
            summary=outcome.summary,
            model_version=outcome.model_version,
        )


RULE_FIELDS = tuple(backtester_pb2.TradingRule.DESCRIPTOR.fields_by_name)


def rule_overrides(request: backtester_pb2.RunBacktestRequest) -> dict[str, Any]:
    """The request's rule keys that are set (zero/negative legacy fields mean "default")."""
    given: dict[str, Any] = {
        name: getattr(request.rule, name) for name in RULE_FIELDS if request.rule.HasField(name)
    }
    if request.threshold:
        given["threshold"] = request.threshold
    if request.holding_bars:
        given["holding_bars"] = request.holding_bars
    if request.fee_bps >= 0:
        given["fee_bps"] = request.fee_bps
    return given


def build_server(service: BacktesterService, port: int, host: str = "127.0.0.1") -> ServerHandle:
    """An unstarted server with the backtester, health and reflection (`port=0`: a free one)."""

    def register(server: grpc.aio.Server) -> None:
        # Generated registration helpers are unannotated.
        backtester_pb2_grpc.add_BacktesterServiceServicer_to_server(  # type: ignore[no-untyped-call]
            BacktesterServicer(service), server
        )

    return make_server(register, [SERVICE_NAME], port, host)
