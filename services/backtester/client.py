"""Typed sync client of the backtester; callers only ever see `services.common.errors`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.common.errors import InvalidInput
from services.common.grpc_client import LONG_TIMEOUT_S, channel
from services.common.grpc_errors import raise_from_rpc
from services.contracts.trady.v1 import backtester_pb2, backtester_pb2_grpc, common_pb2

LEGACY_FIELDS = ("threshold", "holding_bars", "fee_bps")
"""Rule keys the request carries as fields of its own (they predate the TradingRule message)."""


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
        rule: Mapping[str, Any] | None = None,
        run_id: str = "",
    ) -> BacktestView:
        """Run a backtest and wait for its report. `rule` overrides keys of the configured
        rule (mode, k_tp, k_sl, ev_margin, fee_bps, slippage_bps, max_hold_bars, on_opposite,
        sides, threshold, holding_bars); unknown keys are refused by the server.

        Raises InvalidInput, NotFound, Conflict (no active model, feature-set mismatch),
        IntegrityFailure (tampered model) or Unavailable.
        """
        given = {key: value for key, value in (rule or {}).items() if value is not None}
        legacy = {key: given.pop(key) for key in LEGACY_FIELDS if key in given}
        unknown = sorted(set(given) - set(backtester_pb2.TradingRule.DESCRIPTOR.fields_by_name))
        if unknown:
            raise InvalidInput(f"unknown trading rule keys {unknown}")
        request = backtester_pb2.RunBacktestRequest(
            symbol=symbol,
            model_version=model_version,
            range=common_pb2.TimeRange(start_ms=start_ms, end_ms=end_ms),
            threshold=float(legacy.get("threshold", 0.0)),
            holding_bars=int(legacy.get("holding_bars", 0)),
            fee_bps=float(legacy.get("fee_bps", -1.0)),
            rule=backtester_pb2.TradingRule(**given),
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
