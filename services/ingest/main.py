"""Composition root of the ingest service.

python -m services.ingest.main serve          # gRPC server until SIGTERM
python -m services.ingest.main work [--burst] # RQ worker on the "ingest" queue
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Sequence

from redis import Redis

from services.common.grpc_server import Probe, run_until_signalled
from services.common.logging import configure_logging
from services.common.queue import run_worker
from services.ingest.bar_store import BarStore
from services.ingest.service import IngestService
from services.ingest.servicer import build_server
from services.ingest.settings import INGEST_QUEUE, IngestSettings
from services.ingest.store import TradeStore


def build_service(settings: IngestSettings, publish: bool = False) -> IngestService:
    """The service; with `publish`, closed live bars go to Redis (the gRPC server needs it;
    jobs and the local CLI do not). Redis connects lazily, at the first publish."""
    publisher = Redis.from_url(settings.redis_url) if publish else None
    return IngestService(
        TradeStore(settings.data_dir), BarStore(settings.data_dir), publisher=publisher
    )


def data_dir_probe(settings: IngestSettings) -> Probe:
    """Ingest's one real dependency is a writable data root (it needs no Redis or DB)."""

    async def probe() -> None:
        def touch() -> None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=settings.data_dir):  # raises if not writable
                pass

        await asyncio.to_thread(touch)

    return probe


def serve(settings: IngestSettings) -> None:
    async def run() -> None:
        # Built inside the running loop: a grpc.aio server binds to the loop it is made in.
        service = build_service(settings, publish=True)
        handle = build_server(service, settings.ingest_port, settings.grpc_host)
        await run_until_signalled(handle, [data_dir_probe(settings)])

    asyncio.run(run())


def work(settings: IngestSettings, burst: bool) -> None:
    """Run the RQ worker. RQ forks a work horse per job; this parent process must never run
    polars itself, because polars' thread pool does not survive a fork once started. It
    does compile the numba kernels, so that no work horse pays for that again."""
    from services.ingest.domain.kernel import warm_kernels

    warm_kernels()
    redis = Redis.from_url(settings.redis_url)
    try:
        run_worker(redis, [INGEST_QUEUE], burst=burst)
    finally:
        redis.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="services.ingest.main", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the gRPC server until SIGTERM")
    worker = commands.add_parser("work", help="run the RQ worker on the ingest queue")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    args = parser.parse_args(argv)
    settings = IngestSettings()
    configure_logging("ingest", settings.log_level, settings.log_json)
    if args.command == "serve":
        serve(settings)
    else:
        work(settings, args.burst)


if __name__ == "__main__":
    main()
