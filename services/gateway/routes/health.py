"""Liveness and readiness."""

from __future__ import annotations

import grpc
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from grpc_health.v1 import health_pb2, health_pb2_grpc
from redis.exceptions import RedisError

from services.common.grpc_client import channel
from services.gateway.deps import Clients, RedisConn

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_S = 1.0


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


def _serving(address: str) -> bool:
    with channel(address) as chan:
        try:
            reply = health_pb2_grpc.HealthStub(chan).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=CHECK_TIMEOUT_S
            )
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


@router.get("/readyz")
def readyz(svc: Clients, redis: RedisConn) -> JSONResponse:
    """200 when Redis and every gRPC service answer SERVING, else 503 naming what is not."""
    checks: dict[str, bool] = {}
    try:
        checks["redis"] = bool(redis.ping())
    except RedisError:
        checks["redis"] = False
    for name, address in svc.addresses.items():
        checks[name] = _serving(address)
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )
