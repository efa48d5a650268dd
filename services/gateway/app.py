"""The FastAPI application: the one public door. Routes translate; services decide."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis import Redis

from services.common import errors
from services.gateway.auth import KeyRing
from services.gateway.clients import ServiceClients
from services.gateway.routes import (
    features,
    health,
    ingest,
    jobs,
    market,
    models,
    predict,
    reports,
    studies,
)
from services.gateway.routes import live as live_trades
from services.gateway.settings import GatewaySettings

_STATUS = [
    (errors.InvalidInput, 422),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.IntegrityFailure, 409),
    (errors.Unavailable, 503),
]


def _status_for(exc: errors.TradyError) -> int:
    for cls, code in _STATUS:
        if isinstance(exc, cls):
            return code
    return 500


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.TradyError)
    return JSONResponse(
        {"detail": str(exc), "error": type(exc).__name__}, status_code=_status_for(exc)
    )


def create_app(settings: GatewaySettings, clients: ServiceClients, redis: Redis) -> FastAPI:
    """Build the app around already-constructed adapters (tests pass their own)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        clients.close()
        redis.close()

    app = FastAPI(
        title="Trady",
        version="0.1.0",
        description="ML trading research and serving: ingest, features, training, backtests, "
        "model registry and predictions. Send your API key in the `X-API-Key` header.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clients = clients
    app.state.redis = redis
    app.state.keys = KeyRing(settings.admin_keys, settings.client_keys)
    app.add_exception_handler(errors.TradyError, _domain_error)
    for module in (
        health, models, predict, ingest, jobs, reports, studies, market, features, live_trades,
    ):  # fmt: skip
        app.include_router(module.router)
    return app
