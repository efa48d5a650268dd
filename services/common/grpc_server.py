"""gRPC server plumbing: an unstarted `grpc.aio` server with health and reflection, and a
runner that reports SERVING only once dependencies answer and drains on SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

log = logging.getLogger(__name__)

GRACE_PERIOD_S = 5.0
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
PROBE_RETRY_S = 1.0

Probe = Callable[[], Awaitable[None]]
"""An async check that raises when a dependency (Redis, the database) does not answer."""


@dataclass
class ServerHandle:
    server: grpc.aio.Server
    health: health.aio.HealthServicer
    port: int
    service_names: tuple[str, ...]

    async def set_serving(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ("", *self.service_names):
            await self.health.set(name, status)


def make_server(
    register: Callable[[grpc.aio.Server], None],
    service_names: Sequence[str],
    port: int,
    host: str = "127.0.0.1",
) -> ServerHandle:
    """Build an unstarted server; `port=0` binds a free port (tests read `handle.port`).

    `register` adds the servicers; `service_names` are their full names
    (e.g. ``trady.v1.IngestService``) for health and reflection.
    """
    server = grpc.aio.server(
        options=[
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ]
    )
    register(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (
            *service_names,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ),
        server,
    )
    bound = server.add_insecure_port(f"{host}:{port}")
    return ServerHandle(server, health_servicer, bound, tuple(service_names))


async def wait_until_ready(probes: Sequence[Probe], stop: asyncio.Event) -> bool:
    """Retry every probe until all pass (True) or `stop` is set (False)."""
    while not stop.is_set():
        try:
            for probe in probes:
                await probe()
            return True
        except Exception as exc:  # any failure means "not yet": keep NOT_SERVING and retry
            log.warning("dependency not ready: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), PROBE_RETRY_S)
    return False


async def run_until_signalled(handle: ServerHandle, probes: Sequence[Probe] = ()) -> None:
    """Start the server, flip to SERVING once probes pass, and on SIGTERM/SIGINT report
    NOT_SERVING first (so load balancers stop routing), then stop gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await handle.set_serving(False)
    await handle.server.start()
    log.info("gRPC server listening", extra={"port": handle.port})
    if await wait_until_ready(probes, stop):
        await handle.set_serving(True)
        log.info("SERVING")
    await stop.wait()
    await handle.set_serving(False)
    log.info("stopping", extra={"grace_s": GRACE_PERIOD_S})
    await handle.server.stop(GRACE_PERIOD_S)
