"""Queue jobs of the backtester (queue "backtest"); producers enqueue them by dotted path."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.backtester.main import QUEUE_NAME, backtester_service
from services.backtester.service import BacktesterService, BacktestOutcome
from services.backtester.settings import BacktesterSettings
from services.common.errors import InvalidInput
from services.common.queue import job_entrypoint, report_progress
from services.features.domain.symbols import normalise_symbol
from services.research.study_files import candidate_summary, check_study_name, study_folder

QUEUE = QUEUE_NAME


class TuningCandidate(BaseModel):
    """A study's candidate: its own model on the holdout, with its rule (docs/tuning.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    study: str = "default"
    trial: int | None = None  # none: the best fold score


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
    from_tuning: TuningCandidate | None = None


@job_entrypoint
def run_backtest(payload: dict[str, Any]) -> dict[str, Any]:
    """Run one backtest; returns run_id, report_json_path, report_html_path, summary,
    model_version and warnings. Bad payloads, unknown models and conflicts fail at once."""
    try:
        args = BacktestPayload.model_validate(payload)
    except ValidationError as exc:
        raise InvalidInput(f"invalid backtest payload: {exc}") from exc
    report_progress(0.0, "starting")
    settings = BacktesterSettings()
    with backtester_service(settings) as service:
        if args.from_tuning is not None:
            outcome = _from_tuning(service, settings, args)
        else:
            fields = args.model_dump(exclude={"from_tuning"})
            outcome = service.run(**fields, progress=report_progress)
    return {
        "run_id": outcome.run_id,
        "report_json_path": outcome.report_json_path,
        "report_html_path": outcome.report_html_path,
        "summary": dict(outcome.summary),
        "model_version": outcome.model_version,
        "warnings": list(outcome.warnings),
    }


def _from_tuning(
    service: BacktesterService, settings: BacktesterSettings, args: BacktestPayload
) -> BacktestOutcome:
    """The candidate's holdout backtest: its model and period are the study's, so the payload
    may not also choose them; `rule` overrides keys of the trial's rule (a comparison, then,
    not the summary's figures)."""
    chosen = [key for key in ("model_version", "start_ms", "end_ms") if getattr(args, key)]
    if chosen:
        raise InvalidInput(f"from_tuning backtests the study's own model on its holdout: "
                           f"drop {chosen}")  # fmt: skip
    assert args.from_tuning is not None
    study = check_study_name(args.from_tuning.study)
    folder = study_folder(settings.models_dir, normalise_symbol(args.symbol), study)
    summary = candidate_summary(folder, args.from_tuning.trial)
    return service.run_from_tuning(
        str(summary), args.run_id, progress=report_progress, rule=args.rule
    )
