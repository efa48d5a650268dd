"""RQ jobs of the features service; producers enqueue them by dotted path on trady:features."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from services.common.errors import InvalidInput
from services.common.queue import job_entrypoint, report_progress
from services.features.main import build_service
from services.features.settings import FeaturesSettings

_BUILD_KEYS = {"symbol", "start_ms", "end_ms", "config_yaml"}


@job_entrypoint
def build_features(payload: dict[str, Any]) -> dict[str, Any]:
    """Build and store a symbol's feature dataset.

    Payload: {"symbol": str, "start_ms"?: int, "end_ms"?: int, "config_yaml"?: str}.
    Returns the DatasetInfo as a dict (label as a dict). Bad payloads fail without retries.
    """
    unknown = set(payload) - _BUILD_KEYS
    if unknown:
        raise InvalidInput(
            f"unknown payload keys {sorted(unknown)}; allowed: {sorted(_BUILD_KEYS)}"
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

    service = build_service(FeaturesSettings())
    info = service.build(payload["symbol"], start_ms, end_ms, config_yaml, progress=report_progress)
    return asdict(info)
