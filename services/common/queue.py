"""Job-queue plumbing over RQ: enqueue with retry/timeout/deterministic id, read status,
stop, report progress from inside a job, and run a worker with short heartbeats.

Producers enqueue a job by the dotted path of a plain function in a service's `worker.py`,
with a JSON-able payload, so producers never import worker code.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from redis import Redis
from rq import Queue, Retry, Worker, get_current_job
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus

log = logging.getLogger(__name__)

QUEUE_PREFIX = "trady:"
JOB_MONITORING_INTERVAL_S = 2
"""How often a busy worker refreshes its job's heartbeat."""
HEARTBEAT_GRACE_S = 8
"""A job whose heartbeat is older than interval + grace is abandoned and re-run (if retries
remain). RQ's own floor is 60 s; ours is short so a killed worker's job resumes quickly."""
MAINTENANCE_INTERVAL_S = 5
"""How often a worker sweeps registries for abandoned jobs."""
RESULT_TTL_S = 7 * 24 * 3600
FAILURE_TTL_S = 30 * 24 * 3600
ACTIVE_STATES = {
    JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED,
}


@dataclass(frozen=True)
class JobSpec:
    """How a kind of job is enqueued: where it runs, how long it may take, how often it retries."""

    queue: str
    func: str
    timeout_s: int
    retries: int = 2
    retry_intervals_s: tuple[int, ...] = (5, 30)


def queue_name(name: str) -> str:
    return QUEUE_PREFIX + name


def deterministic_job_id(kind: str, payload: dict[str, Any]) -> str:
    """Same kind + payload -> same id, so a double submit does not run the work twice."""
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
    return f"{kind}-{digest}"


def enqueue(redis: Redis, kind: str, spec: JobSpec, payload: dict[str, Any]) -> Job:
    """Enqueue `spec.func(payload)`; an identical job still queued or running is returned as is.

    A finished or failed job with the same id is replaced, so the same request can be re-run
    once the earlier one is over.
    """
    job_id = deterministic_job_id(kind, payload)
    try:
        existing = Job.fetch(job_id, connection=redis)
        if existing.get_status() in ACTIVE_STATES:
            return existing
        existing.delete()
    except NoSuchJobError:
        pass
    queue = Queue(queue_name(spec.queue), connection=redis)
    return queue.enqueue(
        spec.func,
        payload,
        job_id=job_id,
        job_timeout=spec.timeout_s,
        result_ttl=RESULT_TTL_S,
        failure_ttl=FAILURE_TTL_S,
        retry=Retry(max=spec.retries, interval=list(spec.retry_intervals_s)),
        meta={"kind": kind, "payload": payload, "progress": 0.0, "message": "queued"},
        description=f"{kind} {json.dumps(payload, sort_keys=True)}",
    )


def job_view(redis: Redis, job_id: str) -> dict[str, Any] | None:
    """A JSON-able picture of a job, or None if unknown."""
    try:
        job = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        return None
    status = job.get_status(refresh=True)
    meta = job.get_meta(refresh=True)
    view: dict[str, Any] = {
        "id": job.id,
        "kind": meta.get("kind"),
        "status": status.value if status is not None else "unknown",
        "progress": float(meta.get("progress", 0.0)),
        "message": meta.get("message", ""),
        "payload": meta.get("payload"),
        "enqueued_at": job.enqueued_at.isoformat() if job.enqueued_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "ended_at": job.ended_at.isoformat() if job.ended_at else None,
        "retries_left": job.retries_left,
        "result": None,
        "error": None,
    }
    if status == JobStatus.FINISHED:
        view["result"] = job.return_value()
    elif status in (JobStatus.FAILED, JobStatus.STOPPED):
        view["error"] = meta.get("error") or _last_line(job.latest_result())
    return view


def _last_line(result: Any) -> str | None:
    text = getattr(result, "exc_string", None)
    if not text:
        return None
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else None


def stop_job(redis: Redis, job_id: str) -> str:
    """Stop a running job or cancel a queued one; returns the resulting status."""
    job = Job.fetch(job_id, connection=redis)  # raises NoSuchJobError
    status = job.get_status()
    if status == JobStatus.STARTED:
        try:
            send_stop_job_command(redis, job_id)
        except InvalidJobOperation:
            pass
        return "stopping"
    if status in ACTIVE_STATES:
        job.cancel()
        return "canceled"
    return status.value if status is not None else "unknown"


def report_progress(fraction: float, message: str = "") -> None:
    """Record progress (0..1) on the current job; a no-op outside a job (CLI, tests)."""
    job = get_current_job()
    if job is None:
        return
    job.meta["progress"] = max(0.0, min(1.0, float(fraction)))
    job.meta["message"] = message
    job.meta["updated_at"] = time.time()
    job.save_meta()


def record_error(message: str) -> None:
    """Keep a readable error on the current job (the traceback stays in RQ's result)."""
    job = get_current_job()
    if job is None:
        return
    job.meta["error"] = message
    job.save_meta()


class ShortHeartbeatWorker(Worker):
    """RQ worker whose job heartbeats expire after seconds, not RQ's fixed 60 s floor."""

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return int(self.job_monitoring_interval + HEARTBEAT_GRACE_S)


def run_worker(redis: Redis, queues: list[str], burst: bool = False) -> None:
    """Work the named queues until SIGTERM (or until empty with `burst`)."""
    worker = ShortHeartbeatWorker(
        [Queue(queue_name(q), connection=redis) for q in queues],
        connection=redis,
        job_monitoring_interval=JOB_MONITORING_INTERVAL_S,
        maintenance_interval=MAINTENANCE_INTERVAL_S,
    )
    worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


def job_entrypoint(func: Any) -> Any:
    """Decorate a worker job: a readable error is kept on the job, and errors that retrying
    cannot fix (bad input, not found, conflict) fail at once instead of using up retries."""
    import functools

    from services.common.errors import TradyError

    @functools.wraps(func)
    def wrapper(payload: dict[str, Any]) -> Any:
        try:
            return func(payload)
        except Exception as exc:
            record_error(f"{type(exc).__name__}: {exc}")
            job = get_current_job()
            if job is not None and isinstance(exc, TradyError) and not exc.retryable:
                job.retries_left = 0
            raise

    return wrapper
