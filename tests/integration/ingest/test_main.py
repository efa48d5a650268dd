"""The composition root: `python -m services.ingest.main serve` reports SERVING, answers,
and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from services.common.grpc_client import is_serving
from services.ingest.client import IngestClient
from tests.conftest import REPO, free_port
from tests.integration.ingest.helpers import SPOT, SYMBOL

STARTUP_TIMEOUT_S = 60.0


def wait_serving(address: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not is_serving(address):
        assert time.monotonic() < deadline, "server did not report SERVING"
        time.sleep(0.2)


def test_serve_until_sigterm(data_dir: Path) -> None:
    port = free_port()
    env = dict(os.environ, TRADY_DATA_DIR=str(data_dir), TRADY_INGEST_PORT=str(port))
    server = subprocess.Popen(
        [sys.executable, "-m", "services.ingest.main", "serve"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_serving(f"127.0.0.1:{port}")
        with IngestClient(f"127.0.0.1:{port}") as client:
            assert client.ingest_file(str(SPOT), SYMBOL).bars_1m == 12
            assert [s.symbol for s in client.symbols()] == [SYMBOL]
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
        assert server.returncode == 0, output.decode()
        assert b'"msg": "SERVING"' in output
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
