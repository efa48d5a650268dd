"""RQ jobs of the trainer; producers enqueue them by dotted path on trady:train."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from services.common.job_payloads import parse_dataset_job
from services.common.queue import job_entrypoint, report_progress
from services.trainer.main import open_service
from services.trainer.settings import TrainerSettings
from services.trainer.views import record_view


@job_entrypoint
def train(payload: dict[str, Any]) -> dict[str, Any]:
    """Build features, train and register (inactive) a model.

    Payload: {"symbol": str, "start_ms"?: int, "end_ms"?: int, "config_yaml"?: str}.
    Returns the ModelView as a dict. Bad payloads fail at once, without retries.
    """
    job = parse_dataset_job(payload)

    with open_service(TrainerSettings()) as service:
        record = service.train(
            job.symbol, job.start_ms, job.end_ms, job.config_yaml, progress=report_progress
        )
    return asdict(record_view(record))
