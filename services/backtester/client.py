"""Typed sync client of the backtester; callers only ever see `services.common.errors`."""

from __future__ import annotations

from dataclasses import dataclass

from services.common.grpc_client import LONG_TIMEOUT_S, channel
from services.common.grpc_errors import raise_from_rpc
from services.contracts.trady.v1 import backtester_pb2, backtester_pb2_grpc, common_pb2


@dataclass(frozen=True)
class BacktestView:
    """Where the run's report is and its headline numbers (see report.json for the rest)."""

    run_id: str
    report_json_path: str
    report_html_path: str
    summary: dict[str, float]
    model_version: str


class BacktesterClient:
    """One channel per client; thread-safe (gRPC channels are). Call `close()` when done."""

    def __init__(self, address: str) -> None:
        self._channel = channel(address)
        # Generated stubs are unannotated.
        self._stub = backtester_pb2_grpc.BacktesterServiceStub(  # type: ignore[no-untyped-call]
            self._channel
        )

    def run(
        self,
        symbol: str,
        model_version: str = "",
        start_ms: int = 0,
        end_ms: int = 0,
        threshold: float = 0.0,
        holding_bars: int = 0,
        fee_bps: float = -1.0,
        run_id: str = "",
    ) -> BacktestView:
        """Run a backtest and wait for its report (zero/empty/negative fee = defaults).

        Raises InvalidInput, NotFound, Conflict (no active model, feature-set mismatch),
        IntegrityFailure (tampered model) or Unavailable.
        """
        request = backtester_pb2.RunBacktestRequest(
            symbol=symbol,
            model_version=model_version,
            range=common_pb2.TimeRange(start_ms=start_ms, end_ms=end_ms),
            threshold=threshold,
            holding_bars=holding_bars,
            fee_bps=fee_bps,
            run_id=run_id,
        )
        with raise_from_rpc():
            reply = self._stub.RunBacktest(request, timeout=LONG_TIMEOUT_S)
        return BacktestView(
            run_id=reply.run_id,
            report_json_path=reply.report_json_path,
            report_html_path=reply.report_html_path,
            summary=dict(reply.summary),
            model_version=reply.model_version,
        )

    def close(self) -> None:
        self._channel.close()
