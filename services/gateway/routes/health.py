"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from services.common.grpc_client import is_serving
from services.gateway.deps import Clients, RedisConn

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_S = 1.0


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(svc: Clients, redis: RedisConn) -> JSONResponse:
    """200 when Redis and every gRPC service answer SERVING, else 503 naming what is not."""
    checks: dict[str, bool] = {}
    try:
        checks["redis"] = bool(redis.ping())
    except RedisError:
        checks["redis"] = False
    for name, address in svc.addresses.items():
        checks[name] = is_serving(address, timeout_s=CHECK_TIMEOUT_S)
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )
