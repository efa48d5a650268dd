"""The activation listener survives a real Redis restart: a private redis-server is started,
killed and started again on the same port while the predictor keeps running."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from services.common.errors import Conflict
from services.trainer.registry.events import publish_activation
from services.trainer.registry.repository import RegistryRepository
from tests.conftest import free_port
from tests.integration.predictor.conftest import Served, ServeFactory
from tests.integration.predictor.helpers import SYMBOL, make_model, subscribed_client_ids, wait_for

ROW = {"ret_1m_1": 0.4, "rsi_1m_14": 1.2, "atr_5m_14": -0.7}


class PrivateRedis:
    """A throw-away redis-server (no persistence) on a fixed port, restartable."""

    def __init__(self, port: int, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server must be installed for this test"
        self._cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--dir", str(workdir)]  # fmt: skip
        self.url = f"redis://127.0.0.1:{port}/0"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._proc = subprocess.Popen(self._cmd, stdout=subprocess.DEVNULL)
        conn = redis.Redis.from_url(self.url)

        def answers() -> bool:
            try:
                return bool(conn.ping())
            except redis.ConnectionError:
                return False

        wait_for(answers, timeout_s=5.0)
        conn.close()

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(5)
            self._proc = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(free_port(), tmp_path)
    server.start()
    yield server
    server.stop()


def _serves(served: Served, version: str) -> bool:
    try:
        return served.client.predict(SYMBOL, ROW).model_version == version
    except Conflict:
        return False


def test_listener_resubscribes_after_redis_restarts(
    data_dir: Path,
    sqlite_registry: RegistryRepository,
    serve_predictor: ServeFactory,
    private_redis: PrivateRedis,
) -> None:
    make_model(data_dir, sqlite_registry, "1.0.0+20250101_000000", seed=1)
    served = serve_predictor(sqlite_registry, redis_url=private_redis.url, poll_s=60.0)
    conn = redis.Redis.from_url(private_redis.url)
    wait_for(lambda: subscribed_client_ids(conn, served.redis_client_name), timeout_s=5.0)

    private_redis.stop()
    time.sleep(1.5)  # down long enough for the listener to fail and back off
    private_redis.start()
    wait_for(lambda: subscribed_client_ids(conn, served.redis_client_name), timeout_s=15.0)
    time.sleep(0.5)  # let the catch-up refresh on re-subscription pass: the message must do it

    make_model(data_dir, sqlite_registry, "1.1.0+20250102_000000", seed=2)
    assert _serves(served, "1.0.0+20250101_000000")
    publish_activation(conn, SYMBOL, "1.1.0+20250102_000000")
    wait_for(lambda: _serves(served, "1.1.0+20250102_000000"), timeout_s=2.0)
    conn.close()
