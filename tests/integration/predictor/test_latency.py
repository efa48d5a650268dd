"""Predict latency over a live port (figures for the report; not an assertion on speed)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from services.trainer.registry.repository import RegistryRepository
from tests.integration.predictor.conftest import ServeFactory
from tests.integration.predictor.helpers import SYMBOL, make_model

CALLS = 500
WARMUP = 20


def test_predict_latency_over_a_live_port(
    data_dir: Path, sqlite_registry: RegistryRepository, serve_predictor: ServeFactory
) -> None:
    model = make_model(data_dir, sqlite_registry, "1.0.0+20250101_000000", seed=5)
    served = serve_predictor(sqlite_registry)
    rows = [{"ret_1m_1": i / 100, "rsi_1m_14": -i / 50, "atr_5m_14": 0.5} for i in range(CALLS)]
    for row in rows[:WARMUP]:
        served.client.predict(SYMBOL, row)

    took_ms: list[float] = []
    for row in rows:
        start = time.perf_counter()
        prediction = served.client.predict(SYMBOL, row)
        took_ms.append((time.perf_counter() - start) * 1000)
        assert prediction.model_version == model.version

    took_ms.sort()
    p50 = statistics.median(took_ms)
    p99 = took_ms[int(len(took_ms) * 0.99) - 1]
    print(f"\npredict over gRPC, {CALLS} calls: p50 {p50:.3f} ms, p99 {p99:.3f} ms, "
          f"max {took_ms[-1]:.3f} ms")  # fmt: skip
    assert len(took_ms) == CALLS
