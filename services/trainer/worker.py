"""RQ jobs of the trainer; producers enqueue them by dotted path on trady:train."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from services.common.job_payloads import parse_train_job, parse_tune_job
from services.common.queue import JobSpec, enqueue, job_entrypoint, report_progress
from services.research.study_files import candidate_summary
from services.trainer.main import open_service
from services.trainer.settings import TrainerSettings
from services.trainer.views import record_view


@job_entrypoint
def train(payload: dict[str, Any]) -> dict[str, Any]:
    """Build features, train and register (inactive) a model.

    Payload: {"symbol": str, "start_ms"?: int, "end_ms"?: int, "config_yaml"?: str}, or with
    "from_tuning": {"study"?, "trial"?, "through"?} to retrain a tuning candidate (its own
    config; the range and config_yaml are not used). Returns the ModelView as a dict. Bad
    payloads fail at once, without retries.
    """
    job, from_tuning = parse_train_job(payload)

    with open_service(TrainerSettings()) as service:
        if from_tuning is not None:
            study_dir = service.study_dir(job.symbol, from_tuning.study)
            summary = candidate_summary(study_dir, from_tuning.trial)
            record = service.train_from_tuning(
                str(summary), from_tuning.through, progress=report_progress
            )
        else:
            record = service.train(
                job.symbol, job.start_ms, job.end_ms, job.config_yaml, progress=report_progress
            )
    return asdict(record_view(record))


TUNE_TRIALS = "services.trainer.worker.tune_trials"
HELPER_TIMEOUT_S = 24 * 3600
TARGET_META = "tune_target"
"""The count of finished trials a shared-study tune job aims at, kept in the job's meta: when
its worker dies and RQ runs the job again, the study is brought up to the same count instead
of getting the job's trials a second time."""


@job_entrypoint
def tune(payload: dict[str, Any]) -> dict[str, Any]:
    """Build features once, run the study (docs/tuning.md), write its candidates.

    Payload: {"symbol", "trials", "study"?, "seed"?, "timeout_s"?, "config_yaml"?,
    "workers"?, "start_ms"?, "end_ms"?}. With workers > 1 the study lives in the shared
    storage (TRADY_TUNING_STORAGE_URL; never the registry's database) and workers - 1 helper jobs
    on this queue add trials to it until it holds the count; a re-run of the job (its worker
    died) resumes towards the count its first run chose. Returns the study's outcome.
    """
    from rq import get_current_job

    settings = TrainerSettings()
    request = parse_tune_job(payload)
    if request.workers > 1 or settings.tuning_storage_url:
        request = replace(request, storage_url=settings.study_storage_url())
    parent = get_current_job()
    chosen = parent.meta.get(TARGET_META) if parent is not None else None

    def helpers(target: int) -> None:
        from redis import Redis

        if parent is not None:
            parent.meta[TARGET_META] = target
            parent.save_meta()  # type: ignore[no-untyped-call]  # rq leaves it unannotated
        redis = Redis.from_url(settings.redis_url)
        spec = JobSpec(queue="train", func=TUNE_TRIALS, timeout_s=HELPER_TIMEOUT_S)
        for index in range(1, request.workers):
            enqueue(
                redis,
                "tune_trials",
                spec,
                {
                    **asdict(request),
                    "target": target,
                    "helper": index,
                    "parent": parent.id if parent else "",
                },
            )
        redis.close()

    with open_service(settings) as service:
        outcome = service.tune(
            request,
            progress=report_progress,
            helpers=helpers,
            target=int(chosen) if chosen is not None else None,
        )
    return asdict(outcome)


@job_entrypoint
def tune_trials(payload: dict[str, Any]) -> dict[str, Any]:
    """A helper's share of a study a `tune` job started: {..the tune request.., "target"}."""
    fields = {k: v for k, v in payload.items() if k not in ("target", "helper", "parent")}
    request = replace(parse_tune_job(fields, internal=True), storage_url=payload["storage_url"])
    with open_service(TrainerSettings()) as service:
        ran = service.join_tuning(request, int(payload["target"]))
    return {"study": request.study, "trials_run": ran}
