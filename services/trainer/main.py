"""Composition root of the trainer service.

python -m services.trainer.main migrate          # the registry's (and shared studies') schema
python -m services.trainer.main serve            # migrate, then gRPC server until SIGTERM
python -m services.trainer.main work [--burst]   # migrate, then RQ worker on trady:train
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from redis import Redis

from services.common.db import make_engine
from services.common.errors import InvalidInput
from services.common.grpc_server import run_until_signalled
from services.common.logging import configure_logging
from services.common.probes import db_probe, redis_probe
from services.common.queue import run_worker
from services.features.client import FeaturesClient
from services.features.store import DatasetStore
from services.trainer.domain.config import parse_config
from services.trainer.registry import migrate
from services.trainer.registry.repository import RegistryRepository
from services.trainer.service import TrainerService
from services.trainer.servicer import build_server
from services.trainer.settings import TrainerSettings
from services.trainer.tuning import shared_store

QUEUE = "train"
"""RQ queue name (trady:train) of `services.trainer.worker.train`."""

log = logging.getLogger(__name__)


def read_config(settings: TrainerSettings) -> str:
    """The server's ML-config text. Raises InvalidInput when unreadable (fail at start)."""
    try:
        return settings.ml_config.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(
            f"cannot read ML config {settings.ml_config} (set TRADY_ML_CONFIG): {exc}"
        ) from exc


@contextmanager
def open_service(settings: TrainerSettings) -> Iterator[TrainerService]:
    """Wire a TrainerService from settings (connections open lazily) and close it all after.
    Raises InvalidInput on an unreadable or invalid ML config."""
    engine = make_engine(settings.registry_url())
    features = FeaturesClient(settings.features_addr)
    redis = Redis.from_url(settings.redis_url)
    try:
        yield TrainerService(
            features_client=features,
            dataset_store=DatasetStore(settings.data_dir),
            registry=RegistryRepository(engine),
            models_dir=settings.models_dir,
            redis=redis,
            default_config_yaml=read_config(settings),
            heartbeat=settings.study_heartbeat(),
        )
    finally:
        redis.close()
        features.close()
        engine.dispose()


def upgrade_registry(settings: TrainerSettings) -> None:
    """The registry's schema to head, then the shared study store's when one is set."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.registry_url())
    log.info("registry schema at head")
    if settings.tuning_storage_url:
        shared_store.check_separate(settings.tuning_storage_url, settings.registry_url())
        shared_store.prepare(settings.tuning_storage_url)


def serve(settings: TrainerSettings) -> None:
    upgrade_registry(settings)
    with open_service(settings) as service:
        engine = make_engine(settings.registry_url())

        async def run() -> None:
            # grpc.aio binds the server to the running loop, so build it inside.
            handle = build_server(service, settings.trainer_port, settings.grpc_host)
            probes = [redis_probe(settings.redis_url), db_probe(engine)]
            await run_until_signalled(handle, probes)

        try:
            asyncio.run(run())
        finally:
            engine.dispose()


def work(settings: TrainerSettings, burst: bool) -> None:
    upgrade_registry(settings)
    # Fail fast on a bad config before taking jobs. Deliberately no gRPC channel here: RQ
    # forks a work horse per job, and a process that has started gRPC's threads cannot fork
    # safely (the horse hangs), so each job wires its own service after the fork.
    parse_config(read_config(settings))
    redis = Redis.from_url(settings.redis_url)
    try:
        run_worker(redis, [QUEUE], burst=burst)
    finally:
        redis.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="services.trainer.main", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "migrate", help="upgrade the registry's and the shared study store's schemas, then exit"
    )
    commands.add_parser("serve", help="migrate, then run the gRPC server until SIGTERM")
    work_parser = commands.add_parser("work", help="migrate, then run the RQ worker on trady:train")
    work_parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    args = parser.parse_args(argv)

    settings = TrainerSettings()
    configure_logging("trainer", settings.log_level, settings.log_json)
    if args.command == "migrate":
        upgrade_registry(settings)
    elif args.command == "serve":
        serve(settings)
    else:
        work(settings, args.burst)


if __name__ == "__main__":
    main()
