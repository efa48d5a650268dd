"""RQ jobs of the trainer; producers enqueue them by dotted path on trady:train."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from services.common.errors import InvalidInput
from services.common.queue import job_entrypoint, report_progress
from services.trainer.main import open_service
from services.trainer.settings import TrainerSettings
from services.trainer.views import record_view

_TRAIN_KEYS = {"symbol", "start_ms", "end_ms", "config_yaml"}


@job_entrypoint
def train(payload: dict[str, Any]) -> dict[str, Any]:
    """Build features, train and register (inactive) a model.

    Payload: {"symbol": str, "start_ms"?: int, "end_ms"?: int, "config_yaml"?: str}.
    Returns the ModelView as a dict. Bad payloads fail at once, without retries.
    """
    unknown = set(payload) - _TRAIN_KEYS
    if unknown:
        raise InvalidInput(
            f"unknown payload keys {sorted(unknown)}; allowed: {sorted(_TRAIN_KEYS)}"
        )
    if not isinstance(payload.get("symbol"), str):
        raise InvalidInput("payload needs 'symbol' (a string like BTCUSDT)")
    try:
        start_ms = int(payload.get("start_ms") or 0)
        end_ms = int(payload.get("end_ms") or 0)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"start_ms and end_ms must be integers (Unix ms): {exc}") from exc
    config_yaml = payload.get("config_yaml") or ""
    if not isinstance(config_yaml, str):
        raise InvalidInput("config_yaml must be YAML text")

    with open_service(TrainerSettings()) as service:
        record = service.train(
            payload["symbol"], start_ms, end_ms, config_yaml, progress=report_progress
        )
    return asdict(record_view(record))
