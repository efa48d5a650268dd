"""Features: each symbol's latest feature vector (live from Redis, else the stored dataset)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from services.gateway.auth import ClientCaller
from services.gateway.deps import Clients

router = APIRouter(prefix="/api/v1", tags=["features"])


@router.get("/features/{symbol}/latest")
def latest_features(symbol: str, _: ClientCaller, svc: Clients) -> dict[str, Any]:
    """The newest complete feature vector: `timestamp_ms` (open time of its 1m row; the values
    are as of that bar's close), `feature_names`, `values` and `feature_set_id`."""
    return asdict(svc.features.latest(symbol.upper()))
