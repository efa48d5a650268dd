"""Fixtures: a migrated registry (SQLite and/or PostgreSQL) and a predictor on a live port."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import redis

from services.common.db import make_engine
from services.common.grpc_server import ServerHandle
from services.features.client import FeaturesClient
from services.predictor.client import PredictorClient
from services.predictor.reloader import ModelReloader
from services.predictor.service import PredictorService
from services.predictor.servicer import build_server
from services.trainer.registry.migrate import upgrade
from services.trainer.registry.repository import RegistryRepository

NO_FEATURES_ADDR = "127.0.0.1:1"
"""For tests that always send features: a features client that is never called."""


def _registry(url: str) -> Iterator[RegistryRepository]:
    upgrade(url)
    engine = make_engine(url)
    yield RegistryRepository(engine)
    engine.dispose()


@pytest.fixture
def registry(db_url: str) -> Iterator[RegistryRepository]:
    """The registry on SQLite, then on PostgreSQL."""
    yield from _registry(db_url)


@pytest.fixture
def sqlite_registry(sqlite_url: str) -> Iterator[RegistryRepository]:
    yield from _registry(sqlite_url)


@dataclass
class Served:
    service: PredictorService
    client: PredictorClient
    address: str
    reloader: ModelReloader | None
    redis_client_name: str


ServeFactory = Callable[..., Served]


@pytest.fixture
def serve_predictor(
    live_grpc: Callable[[Callable[[], ServerHandle]], str],
) -> Iterator[ServeFactory]:
    """`serve_predictor(registry, redis_url=None, poll_s=60.0, features_addr=...)` starts the
    service on a live port; with `redis_url` it also runs the activation listener and poller."""
    cleanups: list[Callable[[], None]] = []

    def start(
        registry: RegistryRepository,
        *,
        redis_url: str | None = None,
        poll_s: float = 60.0,
        features_addr: str = NO_FEATURES_ADDR,
    ) -> Served:
        features = FeaturesClient(features_addr)
        cleanups.append(features.close)
        service = PredictorService(registry, features)
        reloader = None
        name = f"predictor-test-{uuid.uuid4().hex[:8]}"
        if redis_url is not None:
            conn = redis.Redis.from_url(redis_url, client_name=name)
            reloader = service.start_listening(conn, poll_s)
            cleanups.append(conn.close)
            cleanups.append(reloader.stop)
        address = live_grpc(lambda: build_server(service, 0))
        client = PredictorClient(address)
        cleanups.append(client.close)
        return Served(service, client, address, reloader, name)

    yield start
    for cleanup in reversed(cleanups):
        cleanup()
