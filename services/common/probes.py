"""Readiness probes for `run_until_signalled`: each raises when its dependency is down."""

from __future__ import annotations

import asyncio

import redis
from sqlalchemy import text
from sqlalchemy.engine import Engine

from services.common.grpc_server import Probe

PROBE_TIMEOUT_S = 2.0


def redis_probe(url: str) -> Probe:
    async def probe() -> None:
        def ping() -> None:
            conn = redis.Redis.from_url(url, socket_timeout=PROBE_TIMEOUT_S)
            try:
                conn.ping()
            finally:
                conn.close()

        await asyncio.to_thread(ping)

    return probe


def db_probe(engine: Engine) -> Probe:
    async def probe() -> None:
        def select_one() -> None:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))

        await asyncio.to_thread(select_one)

    return probe
