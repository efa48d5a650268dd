"""RQ jobs of the ingest service (queue "ingest"); producers enqueue them by dotted path,
e.g. "services.ingest.worker.ingest_file", with a JSON payload."""

from __future__ import annotations

import dataclasses
from typing import Any

from services.common.errors import InvalidInput
from services.common.queue import job_entrypoint, report_progress
from services.ingest.main import build_service
from services.ingest.settings import INGEST_QUEUE, IngestSettings

QUEUE = INGEST_QUEUE


def _text(payload: dict[str, Any], key: str, default: str | None = None) -> str:
    value = payload.get(key, default)
    if not isinstance(value, str) or (default is None and not value):
        raise InvalidInput(f"ingest job payload needs {key!r} as a non-empty string")
    return value


@job_entrypoint
def ingest_file(payload: dict[str, Any]) -> dict[str, Any]:
    """Payload {"path", "symbol", "kind"?: "auto"|"trades"|"candles", "display_name"?,
    "timestamp_unit"?: "auto"|"s"|"ms"|"us"|"ns"};
    returns the IngestResult as a dict. Bad input fails at once (no retries)."""
    service = build_service(IngestSettings())
    report_progress(0.0, "starting")
    result = service.ingest_file(
        _text(payload, "path"),
        _text(payload, "symbol"),
        _text(payload, "kind", "auto"),
        _text(payload, "display_name", ""),
        progress=report_progress,
        timestamp_unit=_text(payload, "timestamp_unit", "auto"),
    )
    return dataclasses.asdict(result)
