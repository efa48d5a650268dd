"""Shared fixtures: real Redis (a dedicated db, flushed per test), SQLite and PostgreSQL
registry URLs, a fresh data root, free ports and live gRPC servers on loopback."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from services.common.grpc_server import ServerHandle

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
SHARED_DATA = REPO.parent / "shared" / "data"

TEST_REDIS_DB = int(os.environ.get("TRADY_TEST_REDIS_DB", "13"))
REDIS_HOST = os.environ.get("TRADY_TEST_REDIS_HOST", "127.0.0.1")
PG_DSN = os.environ.get("TRADY_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis URL on a db used only by tests; flushed before and after each test."""
    url = f"redis://{REDIS_HOST}:6379/{TEST_REDIS_DB}"
    conn = redis.Redis.from_url(url)
    conn.flushdb()
    yield url
    conn.flushdb()
    conn.close()


@pytest.fixture
def redis_conn(redis_url: str) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(redis_url)
    yield conn
    conn.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    return root


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database per test, dropped afterwards."""
    import psycopg

    name = f"trady_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_DSN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Runs a test once on SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


class LiveServer:
    """Runs a `grpc.aio` server on its own event loop in a background thread."""

    def __init__(self, build: Callable[[], ServerHandle]) -> None:
        self._build = build
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.handle: ServerHandle | None = None

    def start(self) -> str:
        self._thread.start()

        async def _start() -> ServerHandle:
            handle = self._build()  # built inside the loop: grpc.aio binds to it
            await handle.server.start()
            await handle.set_serving(True)
            return handle

        self.handle = asyncio.run_coroutine_threadsafe(_start(), self._loop).result(30)
        return f"127.0.0.1:{self.handle.port}"

    def stop(self) -> None:
        if self.handle is not None:
            fut = asyncio.run_coroutine_threadsafe(self.handle.server.stop(0.5), self._loop)
            fut.result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture
def live_grpc() -> Iterator[Callable[[Callable[[], ServerHandle]], str]]:
    """Factory: `addr = live_grpc(lambda: make_server(...port=0))` starts a real server."""
    servers: list[LiveServer] = []

    def start(build: Callable[[], ServerHandle]) -> str:
        server = LiveServer(build)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()
