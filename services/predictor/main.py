"""Composition root of the predictor: `python -m services.predictor.main serve`.

The predictor has no queue worker: it only serves. Its registry access is read-only.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from redis import Redis

from services.common.db import make_engine
from services.common.grpc_server import run_until_signalled
from services.common.logging import configure_logging
from services.common.probes import db_probe, redis_probe
from services.features.client import FeaturesClient
from services.predictor.service import PredictorService
from services.predictor.servicer import build_server
from services.predictor.settings import PredictorSettings
from services.trainer.registry.repository import RegistryRepository

log = logging.getLogger(__name__)

REDIS_HEALTH_CHECK_S = 10
"""The subscriber pings this often, so a silently dead connection is noticed and replaced."""
REDIS_CONNECT_TIMEOUT_S = 5


async def serve(settings: PredictorSettings) -> None:
    engine = make_engine(settings.registry_url())
    features = FeaturesClient(settings.features_addr)
    redis = Redis.from_url(
        settings.redis_url,
        health_check_interval=REDIS_HEALTH_CHECK_S,
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
    )
    service = PredictorService(RegistryRepository(engine), features)
    # The listener refreshes once subscribed; until then requests load their symbol on demand.
    reloader = service.start_listening(redis, settings.reload_poll_s)
    handle = build_server(service, settings.predictor_port, settings.grpc_host)
    try:
        await run_until_signalled(handle, [redis_probe(settings.redis_url), db_probe(engine)])
    finally:
        reloader.stop()
        features.close()
        redis.close()
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="services.predictor.main")
    parser.add_argument("command", choices=["serve"], help="run the gRPC server until SIGTERM")
    parser.parse_args(argv)
    settings = PredictorSettings()
    configure_logging("predictor", settings.log_level, settings.log_json)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
