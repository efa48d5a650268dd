"""RQ jobs of the features service; producers enqueue them by dotted path on trady:features."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from services.common.job_payloads import parse_dataset_job
from services.common.queue import job_entrypoint, report_progress
from services.features.main import build_service
from services.features.settings import FeaturesSettings


@job_entrypoint
def build_features(payload: dict[str, Any]) -> dict[str, Any]:
    """Build and store a symbol's feature dataset.

    Payload: {"symbol": str, "start_ms"?: int, "end_ms"?: int, "config_yaml"?: str}.
    Returns the DatasetInfo as a dict (label as a dict). Bad payloads fail without retries.
    """
    job = parse_dataset_job(payload)

    service = build_service(FeaturesSettings())
    info = service.build(
        job.symbol, job.start_ms, job.end_ms, job.config_yaml, progress=report_progress
    )
    return asdict(info)
