"""Request-scoped access to what the composition root put on `app.state`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from redis import Redis

from services.gateway.clients import ServiceClients
from services.gateway.settings import GatewaySettings


def clients(request: Request) -> ServiceClients:
    result: ServiceClients = request.app.state.clients
    return result


def redis_conn(request: Request) -> Redis:
    result: Redis = request.app.state.redis
    return result


def settings(request: Request) -> GatewaySettings:
    result: GatewaySettings = request.app.state.settings
    return result


def data_dir(request: Request) -> Path:
    return Path(settings(request).data_dir)


Clients = Annotated[ServiceClients, Depends(clients)]
RedisConn = Annotated[Redis, Depends(redis_conn)]
DataDir = Annotated[Path, Depends(data_dir)]
