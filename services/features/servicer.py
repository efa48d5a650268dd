"""gRPC FeatureService: proto -> FeatureService call -> proto, nothing else."""

from __future__ import annotations

import asyncio
import json
from typing import Any, TypeAlias

import grpc

from services.common.grpc_errors import maps_errors
from services.common.grpc_server import ServerHandle, make_server
from services.contracts.trady.v1 import features_pb2, features_pb2_grpc
from services.features.service import FeatureService

SERVICE_NAME = features_pb2.DESCRIPTOR.services_by_name["FeatureService"].full_name

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class FeatureServicer(features_pb2_grpc.FeatureServiceServicer):
    def __init__(self, service: FeatureService) -> None:
        self._service = service

    @maps_errors
    async def BuildFeatures(  # noqa: N802 - gRPC method name
        self, request: features_pb2.BuildFeaturesRequest, context: Context
    ) -> features_pb2.BuildFeaturesResponse:
        info = await asyncio.to_thread(
            self._service.build,
            request.symbol,
            request.range.start_ms,
            request.range.end_ms,
            request.config_yaml,
        )
        return features_pb2.BuildFeaturesResponse(
            symbol=info.symbol,
            dataset_path=info.dataset_path,
            rows=info.rows,
            feature_names=info.feature_names,
            label_name=info.label_name,
            label_json=json.dumps(info.label, sort_keys=True),
            first_ms=info.first_ms,
            last_ms=info.last_ms,
            feature_set_id=info.feature_set_id,
        )

    @maps_errors
    async def GetLatestFeatures(  # noqa: N802 - gRPC method name
        self, request: features_pb2.GetLatestFeaturesRequest, context: Context
    ) -> features_pb2.GetLatestFeaturesResponse:
        latest = await asyncio.to_thread(self._service.latest, request.symbol)
        return features_pb2.GetLatestFeaturesResponse(
            symbol=latest.symbol,
            timestamp_ms=latest.timestamp_ms,
            feature_names=latest.feature_names,
            values=latest.values,
            feature_set_id=latest.feature_set_id,
        )


def build_server(service: FeatureService, port: int, host: str = "127.0.0.1") -> ServerHandle:
    """An unstarted server for `service`; `port=0` binds a free port (read `handle.port`)."""

    def register(server: grpc.aio.Server) -> None:
        # Generated gRPC code carries no annotations.
        features_pb2_grpc.add_FeatureServiceServicer_to_server(  # type: ignore[no-untyped-call]
            FeatureServicer(service), server
        )

    return make_server(register, [SERVICE_NAME], port, host)
