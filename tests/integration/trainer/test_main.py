"""The composition root as a real process: `serve` migrates the registry first, reports
SERVING once Redis and the database answer, serves, and exits cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.common.errors import NotFound
from services.common.grpc_client import is_serving
from services.trainer.client import TrainerClient
from services.trainer.servicer import SERVICE_NAME
from tests.conftest import REPO, free_port
from tests.integration.trainer.helpers import CONFIG


def test_serve_migrates_then_serves_until_sigterm(data_dir: Path, redis_url: str) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TRADY_DATA_DIR": str(data_dir),
        "TRADY_DATABASE_URL": "",  # the default: a SQLite registry under the data root
        "DATABASE_URL": "",
        "TRADY_REDIS_URL": redis_url,
        "TRADY_TRAINER_PORT": str(port),
        "TRADY_ML_CONFIG": str(CONFIG),
        "TRADY_LOG_JSON": "false",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.trainer.main", "serve"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not is_serving(address, SERVICE_NAME):
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() < deadline, "the trainer never reported SERVING"
            time.sleep(0.2)
        assert (data_dir / "registry.db").is_file()  # migrated before serving
        with TrainerClient(address) as client:
            assert client.list_models() == []
            with pytest.raises(NotFound):
                client.active("BTCUSDT")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
