"""The composition root as a real process: `serve` reports SERVING once Redis and the registry
answer, runs a backtest from its env-configured settings, and exits cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from services.backtester.client import BacktesterClient
from services.backtester.servicer import SERVICE_NAME
from services.common.grpc_client import is_serving
from tests.conftest import REPO, free_port
from tests.integration.backtester.conftest import ML_CONFIG, SYMBOL, VERSION, World

STARTUP_TIMEOUT_S = 60


def test_serve_runs_a_backtest_until_sigterm(world: World, redis_url: str) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TRADY_DATA_DIR": str(world.data_dir),
        "TRADY_DATABASE_URL": world.registry_url,
        "TRADY_REDIS_URL": redis_url,
        "TRADY_BACKTESTER_PORT": str(port),
        "TRADY_ML_CONFIG": str(ML_CONFIG),
        "TRADY_LOG_JSON": "false",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.backtester.main", "serve"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not is_serving(address, SERVICE_NAME):
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() < deadline, "the backtester never reported SERVING"
            time.sleep(0.2)
        client = BacktesterClient(address)
        try:
            view = client.run(SYMBOL)
        finally:
            client.close()
        assert view.model_version == VERSION
        assert Path(view.report_html_path).is_file()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
