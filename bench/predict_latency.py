"""Prediction latency over HTTP: Trady's predict route beside a bare FastAPI endpoint.

    .venv/bin/python -m bench.predict_latency [--requests 2000]

Ours: POST /api/v1/analytics/predict/ on the gateway (API-key check, request validation, a gRPC
call to the predictor, which holds the hash-verified active model). The peer: a bare FastAPI
endpoint serving the same model in-process. Both are uvicorn processes on loopback, driven
sequentially by one keep-alive client with the same feature vector, in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import polars as pl

from services.cli.stack import REPO, StackConfig, down, up

CANDLES = REPO / "data" / "sample" / "candles" / "binance_spot_BTCUSDT_1m_20250520-20250818.feather"
ROWS = 30_000
WARMUP = 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _timed(client: httpx.Client, url: str, body: dict[str, Any], n: int) -> np.ndarray:
    for _ in range(WARMUP):
        client.post(url, json=body).raise_for_status()
    took = np.empty(n)
    for i in range(n):
        start = time.perf_counter()
        client.post(url, json=body).raise_for_status()
        took[i] = time.perf_counter() - start
    return took * 1000.0


def _row(name: str, ms: np.ndarray) -> str:
    p50, p90, p99 = np.percentile(ms, [50, 90, 99])
    return f"{name:<28}{p50:>9.3f}{p90:>9.3f}{p99:>9.3f}{1000.0 / ms.mean():>12.0f}"


def _train(env: dict[str, str], work: Path) -> str:
    candles = work / "candles.parquet"
    pl.read_ipc(CANDLES).head(ROWS).write_parquet(candles)
    trady = [sys.executable, "-m", "services.cli.main"]
    for args in (["ingest", str(candles), "--symbol", "BTCUSDT"], ["train", "BTCUSDT"]):
        done = subprocess.run([*trady, *args], env=env, cwd=REPO, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(done.stderr)
    return str(json.loads(done.stdout)["version"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = work / "data"
        env = {**os.environ, "TRADY_DATA_DIR": str(data), "TRADY_LOG_LEVEL": "WARNING"}
        version = _train(env, work)
        config = StackConfig(
            state_dir=work / "stack",
            data_dir=data,
            free_ports=True,
            extra_env={"TRADY_LOG_LEVEL": "WARNING"},
        )
        state = up(config)
        bare = None
        try:
            admin = {"X-API-Key": state.admin_key}
            with httpx.Client(base_url=state.gateway_url, timeout=30) as http:
                model = http.post(f"/api/v1/models/{version}/activate", headers=admin)
                model.raise_for_status()
                names = model.json()["model"]["feature_names"]
                artifact = model.json()["model"]["artifact_path"]
            features = {name: 0.001 * (i % 7) for i, name in enumerate(names)}
            body = {"symbol": "BTCUSDT", "features": features}
            port = _free_port()
            bare = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "bench.bare_predict:app",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                ],
                cwd=REPO,
                env={**env, "TRADY_BENCH_MODEL": artifact},
            )
            bare_url = f"http://127.0.0.1:{port}/predict"
            with httpx.Client(timeout=30) as client:
                for _ in range(100):
                    try:
                        client.post(bare_url, json=body).raise_for_status()
                        break
                    except httpx.HTTPError:
                        time.sleep(0.2)
                key = {"X-API-Key": state.client_key}
                ours = _timed(
                    httpx.Client(base_url=state.gateway_url, headers=key, timeout=30),
                    "/api/v1/analytics/predict/",
                    body,
                    args.requests,
                )
                peer = _timed(client, bare_url, body, args.requests)
        finally:
            if bare is not None:
                bare.terminate()
                bare.wait(10)
            down(config.state_dir, state)
    print(f"{args.requests} sequential requests, {len(names)} features, model {version}")
    print(f"{'':<28}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'req/s':>12}")
    print(_row("trady gateway -> predictor", ours))
    print(_row("bare FastAPI (in-process)", peer))
    print(f"p50 ratio ours/peer: {np.median(ours) / np.median(peer):.2f}")


if __name__ == "__main__":
    main()
