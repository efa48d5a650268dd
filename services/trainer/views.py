"""The trainer's public shapes across the wire: registry records <-> proto <-> views.

`ModelView` and `ActivationView` are what the typed client returns and what the train job
returns (as a dict), so a model looks the same however it was reached. All fields are JSON-able
(times in Unix ms), so the gateway can `dataclasses.asdict` them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from services.contracts.trady.v1 import common_pb2, trainer_pb2
from services.trainer.registry.records import ActivationRecord, ModelRecord


@dataclass(frozen=True)
class ModelView:
    version: str
    symbol: str
    sha256: str
    sidecar_sha256: str
    artifact_path: str
    sidecar_path: str
    created_at_ms: int
    is_active: bool
    metrics: dict[str, float]
    feature_names: list[str]
    label: dict[str, Any]
    params: dict[str, Any]
    feature_set_id: str
    threshold: float
    data_start_ms: int
    data_end_ms: int
    test_start_ms: int
    """Start of the held-out period an honest backtest should use (half-open range)."""
    test_end_ms: int


@dataclass(frozen=True)
class ActivationView:
    symbol: str
    version: str
    previous_version: str | None
    activated_by: str
    activated_at_ms: int


def model_info(record: ModelRecord) -> trainer_pb2.ModelInfo:
    return trainer_pb2.ModelInfo(
        version=record.version,
        symbol=record.symbol,
        sha256=record.sha256,
        sidecar_sha256=record.sidecar_sha256,
        artifact_path=record.artifact_path,
        sidecar_path=record.sidecar_path,
        created_at_ms=record.created_at_ms,
        is_active=record.is_active,
        metrics=record.metrics,
        feature_names=record.feature_names,
        label_json=json.dumps(record.label, sort_keys=True),
        params_json=json.dumps(record.params, sort_keys=True),
        data_range=common_pb2.TimeRange(start_ms=record.data_start_ms, end_ms=record.data_end_ms),
        test_range=common_pb2.TimeRange(start_ms=record.test_start_ms, end_ms=record.test_end_ms),
        feature_set_id=record.feature_set_id,
        threshold=record.threshold,
    )


def model_view(info: trainer_pb2.ModelInfo) -> ModelView:
    label: dict[str, Any] = json.loads(info.label_json) if info.label_json else {}
    params: dict[str, Any] = json.loads(info.params_json) if info.params_json else {}
    return ModelView(
        version=info.version,
        symbol=info.symbol,
        sha256=info.sha256,
        sidecar_sha256=info.sidecar_sha256,
        artifact_path=info.artifact_path,
        sidecar_path=info.sidecar_path,
        created_at_ms=info.created_at_ms,
        is_active=info.is_active,
        metrics={str(k): float(v) for k, v in sorted(info.metrics.items())},
        feature_names=list(info.feature_names),
        label=label,
        params=params,
        feature_set_id=info.feature_set_id,
        threshold=info.threshold,
        data_start_ms=info.data_range.start_ms,
        data_end_ms=info.data_range.end_ms,
        test_start_ms=info.test_range.start_ms,
        test_end_ms=info.test_range.end_ms,
    )


def record_view(record: ModelRecord) -> ModelView:
    """The view a client would get for `record` (through the same proto mapping)."""
    return model_view(model_info(record))


def activation_pb(record: ActivationRecord) -> trainer_pb2.Activation:
    return trainer_pb2.Activation(
        symbol=record.symbol,
        version=record.version,
        previous_version=record.previous_version or "",
        activated_by=record.activated_by,
        activated_at_ms=record.activated_at_ms,
    )


def activation_view(message: trainer_pb2.Activation) -> ActivationView:
    return ActivationView(
        symbol=message.symbol,
        version=message.version,
        previous_version=message.previous_version or None,
        activated_by=message.activated_by,
        activated_at_ms=message.activated_at_ms,
    )
