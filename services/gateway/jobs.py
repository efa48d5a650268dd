"""The kinds of job the gateway can start: where each runs, its timeout and its retries."""

from __future__ import annotations

from services.common.queue import JobSpec

MINUTE = 60
HOUR = 60 * MINUTE

JOB_SPECS: dict[str, JobSpec] = {
    "ingest": JobSpec(
        queue="ingest", func="services.ingest.worker.ingest_file", timeout_s=2 * HOUR
    ),
    "features": JobSpec(
        queue="features", func="services.features.worker.build_features", timeout_s=HOUR
    ),
    "train": JobSpec(queue="train", func="services.trainer.worker.train", timeout_s=4 * HOUR),
    "tune": JobSpec(queue="train", func="services.trainer.worker.tune", timeout_s=24 * HOUR),
    "backtest": JobSpec(
        queue="backtest", func="services.backtester.worker.run_backtest", timeout_s=HOUR
    ),
}
