"""Composition root of the backtester.

`python -m services.backtester.main serve` runs the gRPC server until SIGTERM;
`python -m services.backtester.main work [--burst]` runs the RQ worker on the "backtest" queue.
Nothing connects at import time. The registry is only read here (the trainer owns it).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from redis import Redis
from sqlalchemy.engine import Engine

from services.backtester.domain.config import BacktestConfig, parse_backtest_config
from services.backtester.service import BacktesterService
from services.backtester.servicer import build_server
from services.backtester.settings import BacktesterSettings
from services.backtester.store import ReportStore
from services.common.db import make_engine
from services.common.errors import InvalidInput
from services.common.grpc_server import run_until_signalled
from services.common.logging import configure_logging
from services.common.probes import db_probe, redis_probe
from services.common.queue import run_worker
from services.features.store import DatasetStore
from services.trainer.registry.repository import RegistryRepository

QUEUE_NAME = "backtest"


def load_config(path: Path) -> BacktestConfig:
    """The `backtest` section of the ML config file; raises InvalidInput if it is missing."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise InvalidInput(f"ML config {path} not found: set TRADY_ML_CONFIG") from None
    return parse_backtest_config(text)


def build_service(settings: BacktesterSettings, engine: Engine) -> BacktesterService:
    return BacktesterService(
        registry=RegistryRepository(engine),
        dataset_store=DatasetStore(settings.data_dir),
        report_store=ReportStore(settings.data_dir),
        default_config=load_config(settings.ml_config),
    )


@contextmanager
def backtester_service(settings: BacktesterSettings) -> Iterator[BacktesterService]:
    """The service for one job; the registry engine is disposed on exit."""
    engine = make_engine(settings.registry_url())
    try:
        yield build_service(settings, engine)
    finally:
        engine.dispose()


async def serve(settings: BacktesterSettings) -> None:
    engine = make_engine(settings.registry_url())
    try:
        handle = build_server(
            build_service(settings, engine), settings.backtester_port, settings.grpc_host
        )
        await run_until_signalled(handle, [redis_probe(settings.redis_url), db_probe(engine)])
    finally:
        engine.dispose()


def work(settings: BacktesterSettings, burst: bool) -> None:
    """Run the RQ worker: a work horse is forked per job, after the engine's numba kernels
    were compiled here once (see services.engine.warm_up)."""
    from services.engine.warm_up import warm_kernels

    warm_kernels()
    redis = Redis.from_url(settings.redis_url)
    try:
        run_worker(redis, [QUEUE_NAME], burst=burst)
    finally:
        redis.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="services.backtester.main")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the gRPC server until SIGTERM")
    worker = sub.add_parser("work", help="run the RQ worker on the backtest queue")
    worker.add_argument("--burst", action="store_true", help="exit once the queue is empty")
    args = parser.parse_args(argv)
    settings = BacktesterSettings()
    configure_logging("backtester", settings.log_level, settings.log_json)
    if args.command == "serve":
        asyncio.run(serve(settings))
    else:
        work(settings, args.burst)


if __name__ == "__main__":
    main()
