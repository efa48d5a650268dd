"""Typed sync client of the features service; RpcErrors come back as domain errors."""

from __future__ import annotations

import json
from typing import Any

from services.common.grpc_client import DEFAULT_TIMEOUT_S, LONG_TIMEOUT_S, channel
from services.common.grpc_errors import raise_from_rpc
from services.contracts.trady.v1 import common_pb2, features_pb2, features_pb2_grpc
from services.features.domain.dataset import DatasetInfo, LatestFeatures

__all__ = ["DatasetInfo", "FeaturesClient", "LatestFeatures"]


class FeaturesClient:
    """One channel to a features server. Thread-safe (gRPC channels are); call `close()`."""

    def __init__(self, address: str) -> None:
        self._channel = channel(address)
        # Generated gRPC code carries no annotations.
        self._stub = features_pb2_grpc.FeatureServiceStub(self._channel)  # type: ignore[no-untyped-call]

    def build(
        self, symbol: str, start_ms: int = 0, end_ms: int = 0, config_yaml: str = ""
    ) -> DatasetInfo:
        """Build and store the dataset of `symbol` over bars in [start_ms, end_ms) (0 =
        unbounded). Raises InvalidInput, NotFound, Unavailable."""
        request = features_pb2.BuildFeaturesRequest(
            symbol=symbol,
            range=common_pb2.TimeRange(start_ms=start_ms, end_ms=end_ms),
            config_yaml=config_yaml,
        )
        with raise_from_rpc():
            reply = self._stub.BuildFeatures(request, timeout=LONG_TIMEOUT_S)
        label: dict[str, Any] = json.loads(reply.label_json) if reply.label_json else {}
        return DatasetInfo(
            symbol=reply.symbol,
            dataset_path=reply.dataset_path,
            rows=reply.rows,
            feature_names=list(reply.feature_names),
            label_name=reply.label_name,
            label=label,
            first_ms=reply.first_ms,
            last_ms=reply.last_ms,
            feature_set_id=reply.feature_set_id,
        )

    def latest(self, symbol: str) -> LatestFeatures:
        """The newest complete stored feature vector. Raises NotFound, InvalidInput."""
        request = features_pb2.GetLatestFeaturesRequest(symbol=symbol)
        with raise_from_rpc():
            reply = self._stub.GetLatestFeatures(request, timeout=DEFAULT_TIMEOUT_S)
        return LatestFeatures(
            symbol=reply.symbol,
            timestamp_ms=reply.timestamp_ms,
            feature_names=list(reply.feature_names),
            values=list(reply.values),
            feature_set_id=reply.feature_set_id,
        )

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> FeaturesClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
