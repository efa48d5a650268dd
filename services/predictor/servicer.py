"""gRPC adapter of the predictor: proto <-> service values, domain errors -> status codes."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc

from services.common.grpc_errors import maps_errors
from services.common.grpc_server import ServerHandle, make_server
from services.contracts.trady.v1 import predictor_pb2, predictor_pb2_grpc
from services.predictor.service import PredictorService

SERVICE_NAME = predictor_pb2.DESCRIPTOR.services_by_name["PredictorService"].full_name


class PredictorServicer(predictor_pb2_grpc.PredictorServiceServicer):
    def __init__(self, service: PredictorService) -> None:
        self._service = service

    @maps_errors
    async def Predict(  # noqa: N802 (gRPC method name)
        self, request: predictor_pb2.PredictRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> predictor_pb2.PredictResponse:
        features = dict(request.features) or None  # an empty map asks for the latest vector
        p = await asyncio.to_thread(self._service.predict, request.symbol, features)
        return predictor_pb2.PredictResponse(
            symbol=p.symbol,
            model_version=p.model_version,
            probability=p.probability,
            signal=p.signal,
            threshold=p.threshold,
            feature_timestamp_ms=p.feature_timestamp_ms,
        )

    @maps_errors
    async def GetStatus(  # noqa: N802 (gRPC method name)
        self, request: predictor_pb2.GetStatusRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> predictor_pb2.GetStatusResponse:
        loaded = self._service.status()  # a dict read: no thread hop needed
        return predictor_pb2.GetStatusResponse(
            models=[
                predictor_pb2.LoadedModel(
                    symbol=m.symbol, version=m.version, sha256=m.sha256, loaded_at_ms=m.loaded_at_ms
                )
                for m in loaded
            ]
        )


def build_server(service: PredictorService, port: int, host: str = "127.0.0.1") -> ServerHandle:
    """An unstarted server with the predictor, health and reflection; port 0 = a free port."""

    def register(server: grpc.aio.Server) -> None:
        # Generated gRPC code carries no annotations.
        predictor_pb2_grpc.add_PredictorServiceServicer_to_server(  # type: ignore[no-untyped-call]
            PredictorServicer(service), server
        )

    return make_server(register, [SERVICE_NAME], port, host)
