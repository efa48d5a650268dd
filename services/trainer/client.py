"""Typed sync client of the trainer service; RpcErrors come back as domain errors."""

from __future__ import annotations

from services.common.grpc_client import DEFAULT_TIMEOUT_S, LONG_TIMEOUT_S, channel
from services.common.grpc_errors import raise_from_rpc
from services.contracts.trady.v1 import common_pb2, trainer_pb2, trainer_pb2_grpc
from services.trainer.views import ActivationView, ModelView, activation_view, model_view

__all__ = ["ActivationView", "ModelView", "TrainerClient"]


class TrainerClient:
    """One channel to a trainer server. Thread-safe (gRPC channels are); call `close()`."""

    def __init__(self, address: str) -> None:
        self._channel = channel(address)
        # Generated grpc code is untyped.
        self._stub = trainer_pb2_grpc.TrainerServiceStub(self._channel)  # type: ignore[no-untyped-call]

    def train(
        self, symbol: str, start_ms: int = 0, end_ms: int = 0, config_yaml: str = ""
    ) -> ModelView:
        """Build features, train and register (inactive) a model over [start_ms, end_ms)
        (0 = unbounded). Blocks until done. Raises InvalidInput, NotFound, Unavailable."""
        request = trainer_pb2.TrainRequest(
            symbol=symbol,
            range=common_pb2.TimeRange(start_ms=start_ms, end_ms=end_ms),
            config_yaml=config_yaml,
        )
        with raise_from_rpc():
            reply = self._stub.Train(request, timeout=LONG_TIMEOUT_S)
        return model_view(reply.model)

    def list_models(self, symbol: str = "") -> list[ModelView]:
        """Registered models, newest first (only `symbol`'s when given)."""
        with raise_from_rpc():
            reply = self._stub.ListModels(
                trainer_pb2.ListModelsRequest(symbol=symbol), timeout=DEFAULT_TIMEOUT_S
            )
        return [model_view(m) for m in reply.models]

    def get_model(self, version: str) -> ModelView:
        """Raises NotFound for an unknown version."""
        with raise_from_rpc():
            reply = self._stub.GetModel(
                trainer_pb2.GetModelRequest(version=version), timeout=DEFAULT_TIMEOUT_S
            )
        return model_view(reply)

    def activate(self, version: str, activated_by: str) -> tuple[ModelView, str | None]:
        """Make `version` active; returns it and the previously active version (None if none).
        Raises NotFound, IntegrityFailure (artifact fails verification), InvalidInput."""
        request = trainer_pb2.ActivateModelRequest(version=version, activated_by=activated_by)
        with raise_from_rpc():
            reply = self._stub.ActivateModel(request, timeout=DEFAULT_TIMEOUT_S)
        return model_view(reply.model), reply.previous_version or None

    def active(self, symbol: str) -> ModelView:
        """The active model of `symbol`. Raises NotFound when none is active."""
        with raise_from_rpc():
            reply = self._stub.GetActiveModel(
                trainer_pb2.GetActiveModelRequest(symbol=symbol), timeout=DEFAULT_TIMEOUT_S
            )
        return model_view(reply)

    def activations(self, symbol: str) -> list[ActivationView]:
        """`symbol`'s activation history, newest first."""
        with raise_from_rpc():
            reply = self._stub.ListActivations(
                trainer_pb2.ListActivationsRequest(symbol=symbol), timeout=DEFAULT_TIMEOUT_S
            )
        return [activation_view(a) for a in reply.activations]

    def study_report(self, symbol: str, study: str, file: str) -> tuple[bytes, str]:
        """(content, media type) of a study's report.json or report.html.
        Raises NotFound (no such study or report yet), InvalidInput (bad names)."""
        request = trainer_pb2.GetStudyReportRequest(symbol=symbol, study=study, file=file)
        with raise_from_rpc():
            reply = self._stub.GetStudyReport(request, timeout=DEFAULT_TIMEOUT_S)
        return bytes(reply.content), reply.media_type

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> TrainerClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
