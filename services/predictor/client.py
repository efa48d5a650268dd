"""Typed sync client of the predictor; raises `services.common.errors` classes, never RpcError."""

from __future__ import annotations

from dataclasses import dataclass

from services.common.grpc_client import DEFAULT_TIMEOUT_S, channel
from services.common.grpc_errors import raise_from_rpc
from services.contracts.trady.v1 import predictor_pb2, predictor_pb2_grpc
from services.predictor.domain.prediction import Prediction

PREDICT_TIMEOUT_S = 5.0
"""A prediction is milliseconds of work; waiting longer only hides an outage."""


@dataclass(frozen=True)
class LoadedModelView:
    symbol: str
    version: str
    sha256: str
    loaded_at_ms: int


class PredictorClient:
    """Thread-safe (one gRPC channel); call `close()` when done."""

    def __init__(self, address: str) -> None:
        self._channel = channel(address)
        # Generated gRPC stubs carry no annotations.
        self._stub = predictor_pb2_grpc.PredictorServiceStub(self._channel)  # type: ignore[no-untyped-call]

    def predict(self, symbol: str, features: dict[str, float] | None = None) -> Prediction:
        """Predict from `features` (every feature of the active model), or, when None or empty,
        from the symbol's latest stored vector.

        Raises InvalidInput (bad features), Conflict (no active model; feature-set mismatch),
        IntegrityFailure (artifact failed verification), NotFound (no stored vector),
        Unavailable.
        """
        request = predictor_pb2.PredictRequest(symbol=symbol, features=features or {})
        with raise_from_rpc():
            r = self._stub.Predict(request, timeout=PREDICT_TIMEOUT_S)
        return Prediction(
            symbol=r.symbol,
            model_version=r.model_version,
            probability=r.probability,
            signal=r.signal,
            threshold=r.threshold,
            feature_timestamp_ms=r.feature_timestamp_ms,
        )

    def status(self) -> list[LoadedModelView]:
        """The models the predictor currently serves, by symbol."""
        with raise_from_rpc():
            r = self._stub.GetStatus(predictor_pb2.GetStatusRequest(), timeout=DEFAULT_TIMEOUT_S)
        return [LoadedModelView(m.symbol, m.version, m.sha256, m.loaded_at_ms) for m in r.models]

    def close(self) -> None:
        self._channel.close()
