"""Job-queue plumbing over RQ: enqueue with retry/timeout/deterministic id, read status,
stop, report progress from inside a job, and run a worker with short heartbeats.

Producers enqueue a job by the dotted path of a plain function in a service's `worker.py`,
with a JSON-able payload, so producers never import worker code.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import json
import logging
import os
import signal
import sys
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
PR_SET_PDEATHSIG = 1
ACTIVE_STATES = {
    JobStatus.QUEUED,
    JobStatus.STARTED,
    JobStatus.DEFERRED,
    JobStatus.SCHEDULED,
}


@dataclass(frozen=True)
class JobSpec:
    """How a kind of job is enqueued: where it runs, how long it may take, how often it retries."""

    queue: str
    func: str
    timeout_s: int
    retries: int = 2
    """Re-runs after a crash, a killed worker or a retryable error. They are immediate (no
    interval): a delayed retry needs RQ's scheduler process, whose lock a killed worker would
    keep holding until it expires."""


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
        retry=Retry(max=spec.retries),
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


def recent_jobs(redis: Redis, queues: list[str], limit: int = 50) -> list[dict[str, Any]]:
    """The newest jobs of these queues (queued, running, finished, failed, stopped, canceled)."""
    ids: set[str] = set()
    for name in queues:
        queue = Queue(queue_name(name), connection=redis)
        ids.update(queue.get_job_ids())
        for registry in (
            queue.started_job_registry,
            queue.finished_job_registry,
            queue.failed_job_registry,
            queue.canceled_job_registry,
        ):
            ids.update(registry.get_job_ids())
    views = [view for job_id in ids if (view := job_view(redis, job_id)) is not None]
    views.sort(key=lambda v: v["enqueued_at"] or "", reverse=True)
    return views[:limit]


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
        with contextlib.suppress(InvalidJobOperation):  # it ended meanwhile
            send_stop_job_command(redis, job_id)
        return "stopping"
    if status in ACTIVE_STATES:
        job.cancel()
        return "canceled"
    return str(status.value) if status is not None else "unknown"


def report_progress(fraction: float, message: str = "") -> None:
    """Record progress (0..1) on the current job; a no-op outside a job (CLI, tests)."""
    job = get_current_job()
    if job is None:
        return
    job.meta["progress"] = max(0.0, min(1.0, float(fraction)))
    job.meta["message"] = message
    job.meta["updated_at"] = time.time()
    job.save_meta()  # type: ignore[no-untyped-call]  # rq leaves it unannotated


def record_error(message: str) -> None:
    """Keep a readable error on the current job (the traceback stays in RQ's result)."""
    job = get_current_job()
    if job is None:
        return
    job.meta["error"] = message
    job.save_meta()  # type: ignore[no-untyped-call]  # rq leaves it unannotated


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no-op elsewhere).

    RQ runs each job in a forked "work horse" in its own process group, and only the parent
    refreshes the job's heartbeat. If the parent is killed, an orphaned horse would keep working
    while another worker re-runs the abandoned job: the work would run twice at once.
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


class ShortHeartbeatWorker(Worker):
    """RQ worker whose job heartbeats expire after seconds, not RQ's fixed 60 s floor, and
    whose work horse never outlives it."""

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return int(self.job_monitoring_interval + HEARTBEAT_GRACE_S)

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        _die_with_parent()
        super().main_work_horse(job, queue)


def run_worker(redis: Redis, queues: list[str], burst: bool = False) -> None:
    """Work the named queues until SIGTERM (or until empty with `burst`)."""
    worker = ShortHeartbeatWorker(
        [Queue(queue_name(q), connection=redis) for q in queues],
        connection=redis,
        job_monitoring_interval=JOB_MONITORING_INTERVAL_S,
        maintenance_interval=MAINTENANCE_INTERVAL_S,
        # an idle worker blocks on the queue for worker_ttl - 15 s before it can sweep the
        # registries; keep that short so abandoned jobs are noticed within seconds
        worker_ttl=MAINTENANCE_INTERVAL_S + 15,
    )
    worker.work(burst=burst, with_scheduler=False, logging_level="INFO")


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
