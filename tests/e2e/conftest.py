"""The whole stack started as local processes (deploy/Procfile) on free ports, with its own
data root, SQLite registry and Redis db; tests drive it only over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from services.cli.stack import StackConfig, StackState, down, up

E2E_REDIS_DB = int(os.environ.get("TRADY_E2E_REDIS_DB", "12"))


@pytest.fixture(scope="package")
def stack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stack")


@pytest.fixture(scope="package")
def stack(stack_dir: Path) -> Iterator[StackState]:
    url = f"redis://127.0.0.1:6379/{E2E_REDIS_DB}"
    redis.Redis.from_url(url).flushdb()
    config = StackConfig(
        state_dir=stack_dir, data_dir=stack_dir / "data", redis_url=url, free_ports=True
    )
    state = up(config)
    yield state
    down(stack_dir, state)
    redis.Redis.from_url(url).flushdb()


@pytest.fixture(scope="package")
def admin(stack: StackState) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=stack.gateway_url, headers={"X-API-Key": stack.admin_key}, timeout=120
    ) as client:
        yield client


@pytest.fixture(scope="package")
def client(stack: StackState) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=stack.gateway_url, headers={"X-API-Key": stack.client_key}, timeout=60
    ) as http:
        yield http


@pytest.fixture(scope="package")
def anonymous(stack: StackState) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as http:
        yield http
