"""Queue jobs of the backtester (queue "backtest"); producers enqueue them by dotted path."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.backtester.main import QUEUE_NAME, backtester_service
from services.backtester.settings import BacktesterSettings
from services.common.errors import InvalidInput
from services.common.queue import job_entrypoint, report_progress

QUEUE = QUEUE_NAME


class BacktestPayload(BaseModel):
    """The job's JSON payload; empty values mean "default". `rule` overrides keys of the
    configured trading rule (checked by the service, which names a bad key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str = Field(min_length=1)
    model_version: str = ""
    start_ms: int = Field(default=0, ge=0)
    end_ms: int = Field(default=0, ge=0)
    rule: dict[str, Any] = Field(default_factory=dict)
    run_id: str = ""


@job_entrypoint
def run_backtest(payload: dict[str, Any]) -> dict[str, Any]:
    """Run one backtest; returns run_id, report_json_path, report_html_path, summary,
    model_version and warnings. Bad payloads, unknown models and conflicts fail at once."""
    try:
        args = BacktestPayload.model_validate(payload)
    except ValidationError as exc:
        raise InvalidInput(f"invalid backtest payload: {exc}") from exc
    report_progress(0.0, "starting")
    with backtester_service(BacktesterSettings()) as service:
        outcome = service.run(**args.model_dump(), progress=report_progress)
    return {
        "run_id": outcome.run_id,
        "report_json_path": outcome.report_json_path,
        "report_html_path": outcome.report_html_path,
        "summary": dict(outcome.summary),
        "model_version": outcome.model_version,
        "warnings": list(outcome.warnings),
    }
