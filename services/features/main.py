"""Composition root of the features service.

python -m services.features.main serve          # gRPC server until SIGTERM
python -m services.features.main work [--burst] # RQ worker on trady:features
python -m services.features.main listen         # live: latest vectors on each closed 1m bar
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import threading
from collections.abc import Sequence
from pathlib import Path

from redis import Redis

from services.common.errors import InvalidInput
from services.common.grpc_server import Probe, run_until_signalled
from services.common.logging import configure_logging
from services.common.queue import run_worker
from services.features.domain.config import FeatureSettings, load_feature_settings
from services.features.latest_cache import LatestCache
from services.features.service import FeatureService
from services.features.servicer import build_server
from services.features.settings import FeaturesSettings
from services.features.store import DatasetStore

QUEUE = "features"
"""RQ queue name (trady:features) of `services.features.worker.build_features`."""

log = logging.getLogger(__name__)


def load_default_config(path: Path) -> FeatureSettings:
    """The server's ML config (features and label sections). Raises InvalidInput if the file
    is missing or invalid, so a misconfigured process fails at start, not on first use."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read ML config {path} (set TRADY_ML_CONFIG): {exc}") from exc
    return load_feature_settings(text)


def build_service(settings: FeaturesSettings, redis: Redis | None = None) -> FeatureService:
    """Wire the service from settings; opens no connections. With `redis`, latest vectors
    are kept in (and served from) Redis."""
    from services.ingest.bar_store import BarStore  # the ingest service's store, read-only

    return FeatureService(
        bar_store=BarStore(settings.data_dir),
        dataset_store=DatasetStore(settings.data_dir),
        default_config=load_default_config(settings.ml_config),
        latest_cache=LatestCache(redis) if redis is not None else None,
    )


def data_dir_probe(path: Path) -> Probe:
    """Ready once the shared data root exists and is writable (datasets are written there)."""

    async def probe() -> None:
        if not path.is_dir() or not os.access(path, os.W_OK):
            raise RuntimeError(f"data root {path} is missing or not writable")

    return probe


def serve(settings: FeaturesSettings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    service = build_service(settings, Redis.from_url(settings.redis_url))

    async def run() -> None:
        # grpc.aio binds the server to the running loop, so build it inside.
        handle = build_server(service, settings.features_port, settings.grpc_host)
        await run_until_signalled(handle, [data_dir_probe(settings.data_dir)])

    asyncio.run(run())


def work(settings: FeaturesSettings, burst: bool) -> None:
    """Run the RQ worker: a work horse is forked per job, after the numba kernels were
    compiled here once (see domain.warm_up)."""
    from services.features.domain.warm_up import warm_kernels

    build_service(settings)  # fail fast on a bad config before taking jobs
    warm_kernels()
    redis = Redis.from_url(settings.redis_url)
    try:
        run_worker(redis, [QUEUE], burst=burst)
    finally:
        redis.close()


def listen(settings: FeaturesSettings) -> None:
    """Keep each symbol's latest vector in Redis as ingest closes 1m bars, until SIGTERM."""
    from services.features.subscriber import listen as listen_for_bars

    redis = Redis.from_url(settings.redis_url)
    service = build_service(settings, redis)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        listen_for_bars(redis, service, stop)
    finally:
        redis.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="services.features.main", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the gRPC server until SIGTERM")
    work_parser = commands.add_parser("work", help="run the RQ worker on trady:features")
    work_parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    commands.add_parser("listen", help="update latest vectors in Redis as 1m bars close")
    args = parser.parse_args(argv)

    settings = FeaturesSettings()
    configure_logging("features", settings.log_level, settings.log_json)
    if args.command == "serve":
        serve(settings)
    elif args.command == "listen":
        listen(settings)
    else:
        work(settings, args.burst)


if __name__ == "__main__":
    main()
