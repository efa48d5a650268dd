"""Model registry: list, inspect, activate (admin), activation history."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Query

from services.gateway.auth import AdminCaller, ClientCaller
from services.gateway.deps import Clients

router = APIRouter(prefix="/api/v1", tags=["models"])


@router.get("/models")
def list_models(
    _: ClientCaller,
    svc: Clients,
    symbol: str = Query("", description="only this symbol's models"),
) -> list[dict[str, Any]]:
    """Registered models, newest first."""
    return [asdict(model) for model in svc.trainer.list_models(symbol.upper())]


@router.get("/models/active/{symbol}")
def active_model(symbol: str, _: ClientCaller, svc: Clients) -> dict[str, Any]:
    """The symbol's active model (404 when none is active)."""
    return asdict(svc.trainer.active(symbol.upper()))


@router.get("/models/{version}")
def get_model(version: str, _: ClientCaller, svc: Clients) -> dict[str, Any]:
    """One model by version (e.g. `1.0.0+20250101_120000`; encode `+` as `%2B`)."""
    return asdict(svc.trainer.get_model(version))


@router.post("/models/{version}/activate")
def activate_model(version: str, caller: AdminCaller, svc: Clients) -> dict[str, Any]:
    """Make this version its symbol's active model. The artifact's hashes are verified first;
    the previous active version is recorded and can be re-activated the same way. Activating
    the version that is already active records nothing and answers `already_active: true`."""
    model, previous = svc.trainer.activate(version, activated_by=caller.name)
    return {
        "model": asdict(model),
        "previous_version": previous,
        "already_active": previous == model.version,
        "activated_by": caller.name,
    }


@router.get("/activations/{symbol}")
def activations(symbol: str, _: ClientCaller, svc: Clients) -> list[dict[str, Any]]:
    """The symbol's activation history, newest first."""
    return [asdict(item) for item in svc.trainer.activations(symbol.upper())]
