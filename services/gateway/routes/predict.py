"""Serving: a prediction from the symbol's active model."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from services.gateway.auth import ClientCaller
from services.gateway.deps import Clients
from services.gateway.schemas import PredictRequest

router = APIRouter(prefix="/api/v1/analytics", tags=["predict"])


@router.post("/predict/")
def predict(
    body: PredictRequest,
    _: ClientCaller,
    svc: Clients,
) -> dict[str, Any]:
    """P(up) from the active model, using `features` if given, else the latest stored vector.
    409 when the symbol has no active model or its artifact fails verification."""
    return asdict(svc.predictor.predict(body.symbol, body.features))
