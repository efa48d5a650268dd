"""The composition root as a real process: `python -m services.predictor.main serve` reports
SERVING once Redis and the registry answer, serves, reloads on activation, and exits on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import redis

from services.common.grpc_client import is_serving
from services.predictor.client import PredictorClient
from services.trainer.registry.events import publish_activation
from services.trainer.registry.migrate import upgrade
from services.trainer.registry.repository import RegistryRepository
from tests.conftest import REPO, free_port
from tests.integration.predictor.helpers import SYMBOL, make_model, wait_for

ROW = {"ret_1m_1": 0.1, "rsi_1m_14": 0.2, "atr_5m_14": 0.3}


def test_serve_runs_until_sigterm(
    data_dir: Path, sqlite_url: str, redis_url: str, redis_conn: redis.Redis
) -> None:
    from services.common.db import make_engine

    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    registry = RegistryRepository(engine)
    make_model(data_dir, registry, "1.0.0+20250101_000000", seed=1)
    port = free_port()
    env = {
        **os.environ,
        "TRADY_DATA_DIR": str(data_dir),
        "DATABASE_URL": sqlite_url,
        "TRADY_REDIS_URL": redis_url,
        "TRADY_PREDICTOR_PORT": str(port),
        "TRADY_FEATURES_ADDR": "127.0.0.1:1",
        "TRADY_RELOAD_POLL_S": "60",
        "TRADY_LOG_JSON": "false",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.predictor.main", "serve"], cwd=REPO, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    address = f"127.0.0.1:{port}"
    client = PredictorClient(address)
    try:
        wait_for(
            lambda: is_serving(address, "trady.v1.PredictorService"), timeout_s=20.0, interval_s=0.1
        )
        assert client.predict(SYMBOL, ROW).model_version == "1.0.0+20250101_000000"

        make_model(data_dir, registry, "1.1.0+20250102_000000", seed=2)
        # The process subscribes shortly after start; publish until it has heard.
        wait_for(
            lambda: (
                publish_activation(redis_conn, SYMBOL, "1.1.0+20250102_000000") > 0
                and client.predict(SYMBOL, ROW).model_version == "1.1.0+20250102_000000"
            ),
            timeout_s=5.0,
            interval_s=0.1,
        )
        assert [m.version for m in client.status()] == ["1.1.0+20250102_000000"]
    finally:
        client.close()
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=15)
        engine.dispose()
    assert proc.returncode == 0, output.decode()
    assert b"SERVING" in output
