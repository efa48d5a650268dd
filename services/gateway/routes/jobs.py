"""Jobs: start (admin), follow, stop (admin). Work runs in the services' RQ workers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, Request, status
from pydantic import ValidationError
from redis import Redis
from rq.exceptions import NoSuchJobError

from services.common.queue import enqueue, job_view, recent_jobs, stop_job
from services.gateway.auth import AdminCaller, ClientCaller
from services.gateway.deps import RedisConn
from services.gateway.jobs import JOB_SPECS
from services.gateway.schemas import (
    BacktestJobRequest,
    FeaturesJobRequest,
    JobAccepted,
    JobView,
    TrainJobRequest,
    TuneJobRequest,
)
from services.gateway.uploads import ingest_payload

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])

_BODIES = {
    "features": FeaturesJobRequest,
    "train": TrainJobRequest,
    "tune": TuneJobRequest,
    "backtest": BacktestJobRequest,
}


def start_job(redis: Redis, request: Request, kind: str, payload: dict[str, Any]) -> JobAccepted:
    job = enqueue(redis, kind, JOB_SPECS[kind], payload)
    state = job.get_status()
    return JobAccepted(
        id=job.id,
        kind=kind,
        status=state.value if state is not None else "queued",
        status_url=str(request.url_for("get_job", job_id=job.id)),
    )


@router.post("/{kind}", status_code=status.HTTP_202_ACCEPTED)
def create_job(
    kind: str,
    request: Request,
    body: Annotated[dict[str, Any], Body(examples=[{"symbol": "BTCUSDT"}])],
    _: AdminCaller,
    redis: RedisConn,
) -> JobAccepted:
    """Start a `features`, `train`, `tune`, `backtest` or `ingest` job; returns its id at once.
    Submitting the same request while it is still queued or running returns the same job."""
    if kind == "ingest":
        payload = ingest_payload(request, body)
    elif kind in _BODIES:
        try:
            payload = _BODIES[kind].model_validate(body).payload()  # type: ignore[attr-defined]
        except ValidationError as exc:
            raise HTTPException(422, exc.errors(include_url=False, include_context=False)) from None
    else:
        raise HTTPException(404, f"unknown job kind '{kind}'; one of {sorted(JOB_SPECS)}")
    return start_job(redis, request, kind, payload)


@router.get("")
def list_jobs(
    _: ClientCaller,
    redis: RedisConn,
    kind: str | None = Query(None, description="only this kind"),
    status: str | None = Query(None, description="only jobs in this status"),
    limit: int = Query(50, ge=1, le=500),
) -> list[JobView]:
    """Recent jobs, newest first (finished ones are kept 7 days, failed ones 30)."""
    kinds = [kind] if kind else sorted(JOB_SPECS)
    if kind and kind not in JOB_SPECS:
        raise HTTPException(404, f"unknown job kind '{kind}'; one of {sorted(JOB_SPECS)}")
    queues = sorted({JOB_SPECS[k].queue for k in kinds})
    views = [
        v for v in recent_jobs(redis, queues, limit=10 * limit) if not kind or v["kind"] == kind
    ]
    if status:
        views = [v for v in views if v["status"] == status]
    return [JobView(**v) for v in views[:limit]]


@router.get("/{job_id}", name="get_job")
def get_job(job_id: str, _: ClientCaller, redis: RedisConn) -> JobView:
    """Status (queued, started, finished, failed, stopped, canceled), progress 0..1, the result
    when finished, a readable error when failed."""
    view = job_view(redis, job_id)
    if view is None:
        raise HTTPException(404, f"no job '{job_id}' (finished jobs are kept 7 days)")
    return JobView(**view)


@router.delete("/{job_id}")
def delete_job(job_id: str, _: AdminCaller, redis: RedisConn) -> dict[str, str]:
    """Stop a running job or cancel a queued one."""
    try:
        outcome = stop_job(redis, job_id)
    except NoSuchJobError:
        raise HTTPException(404, f"no job '{job_id}'") from None
    return {"id": job_id, "status": outcome}
