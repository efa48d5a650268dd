"""Plain values the registry hands out: no ORM objects escape the repository."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelRecord:
    """One registered model. Times are Unix ms UTC; ranges are half-open [start, end)."""

    version: str
    symbol: str
    sha256: str
    sidecar_sha256: str
    artifact_path: str
    sidecar_path: str
    created_at_ms: int
    is_active: bool
    metrics: dict[str, float]
    params: dict[str, Any]
    feature_names: list[str]
    label: dict[str, Any]
    feature_set_id: str
    threshold: float
    data_start_ms: int
    data_end_ms: int
    test_start_ms: int
    test_end_ms: int


@dataclass(frozen=True)
class ActivationRecord:
    """One activation event: who made `version` active, and what was active before."""

    symbol: str
    version: str
    previous_version: str | None
    activated_by: str
    activated_at_ms: int
