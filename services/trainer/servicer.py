"""gRPC servicer of TrainerService: proto -> TrainerService call -> proto, nothing else."""

from __future__ import annotations

import asyncio
from typing import Any, TypeAlias

import grpc

from services.common.grpc_errors import maps_errors
from services.common.grpc_server import ServerHandle, make_server
from services.contracts.trady.v1 import trainer_pb2, trainer_pb2_grpc
from services.trainer.service import TrainerService
from services.trainer.views import activation_pb, model_info

SERVICE_NAME = trainer_pb2.DESCRIPTOR.services_by_name["TrainerService"].full_name

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class TrainerServicer(trainer_pb2_grpc.TrainerServiceServicer):
    # Service calls are blocking (training is CPU-bound, the registry is a DB), so each runs
    # in a worker thread to keep the event loop answering health checks and other RPCs.

    def __init__(self, service: TrainerService) -> None:
        self._service = service

    @maps_errors
    async def Train(  # noqa: N802 - gRPC method name
        self, request: trainer_pb2.TrainRequest, context: Context
    ) -> trainer_pb2.TrainResponse:
        record = await asyncio.to_thread(
            self._service.train,
            request.symbol,
            request.range.start_ms,
            request.range.end_ms,
            request.config_yaml,
        )
        return trainer_pb2.TrainResponse(model=model_info(record))

    @maps_errors
    async def ListModels(  # noqa: N802 - gRPC method name
        self, request: trainer_pb2.ListModelsRequest, context: Context
    ) -> trainer_pb2.ListModelsResponse:
        records = await asyncio.to_thread(self._service.list_models, request.symbol)
        return trainer_pb2.ListModelsResponse(models=[model_info(r) for r in records])

    @maps_errors
    async def GetModel(  # noqa: N802 - gRPC method name
        self, request: trainer_pb2.GetModelRequest, context: Context
    ) -> trainer_pb2.ModelInfo:
        return model_info(await asyncio.to_thread(self._service.get_model, request.version))

    @maps_errors
    async def ActivateModel(  # noqa: N802 - gRPC method name
        self, request: trainer_pb2.ActivateModelRequest, context: Context
    ) -> trainer_pb2.ActivateModelResponse:
        record, previous = await asyncio.to_thread(
            self._service.activate, request.version, request.activated_by
        )
        return trainer_pb2.ActivateModelResponse(
            model=model_info(record), previous_version=previous or ""
        )

    @maps_errors
    async def GetActiveModel(  # noqa: N802 - gRPC method name
        self, request: trainer_pb2.GetActiveModelRequest, context: Context
    ) -> trainer_pb2.ModelInfo:
        return model_info(await asyncio.to_thread(self._service.active, request.symbol))

    @maps_errors
    async def ListActivations(  # noqa: N802 - gRPC method name
        self, request: trainer_pb2.ListActivationsRequest, context: Context
    ) -> trainer_pb2.ListActivationsResponse:
        records = await asyncio.to_thread(self._service.activations, request.symbol)
        return trainer_pb2.ListActivationsResponse(activations=[activation_pb(r) for r in records])

    @maps_errors
    async def GetStudyReport(  # noqa: N802 - gRPC method name
        self, request: trainer_pb2.GetStudyReportRequest, context: Context
    ) -> trainer_pb2.GetStudyReportResponse:
        content, media_type = await asyncio.to_thread(
            self._service.study_report, request.symbol, request.study, request.file
        )
        return trainer_pb2.GetStudyReportResponse(content=content, media_type=media_type)


def build_server(service: TrainerService, port: int, host: str = "127.0.0.1") -> ServerHandle:
    """An unstarted server for `service`; `port=0` binds a free port (read `handle.port`)."""

    def register(server: grpc.aio.Server) -> None:
        # Generated grpc code is untyped.
        trainer_pb2_grpc.add_TrainerServiceServicer_to_server(  # type: ignore[no-untyped-call]
            TrainerServicer(service), server
        )

    return make_server(register, [SERVICE_NAME], port, host)
