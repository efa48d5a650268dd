"""Job functions the queue tests enqueue by dotted path (workers import them like real jobs)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from services.common.errors import InvalidInput
from services.common.queue import job_entrypoint, report_progress


@job_entrypoint
def slow_once(payload: dict[str, Any]) -> dict[str, Any]:
    """Sleeps long on its first attempt (so a test can kill the worker), quickly after that."""
    marker = Path(payload["marker"])
    attempts = int(marker.read_text()) + 1 if marker.exists() else 1
    marker.write_text(str(attempts))
    report_progress(0.5, f"attempt {attempts}")
    time.sleep(60 if attempts == 1 else 0.1)
    return {"attempts": attempts}


@job_entrypoint
def bad_input(payload: dict[str, Any]) -> None:
    raise InvalidInput(f"{payload['name']} line 3, field 'price': 'abc' is not a number")


@job_entrypoint
def sleepy(payload: dict[str, Any]) -> None:
    time.sleep(float(payload["seconds"]))
