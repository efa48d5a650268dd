"""Channel helpers for typed clients: one channel per address, with sane timeouts."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common.grpc_server import MAX_MESSAGE_BYTES

DEFAULT_TIMEOUT_S = 30.0
LONG_TIMEOUT_S = 3600.0
"""For RPCs that do a whole job's work inline (training, backtests)."""


def channel(address: str) -> grpc.Channel:
    """A blocking channel; typed clients are sync (the gateway calls them from its threadpool)."""
    return grpc.insecure_channel(
        address,
        options=[
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ],
    )


def is_serving(address: str, service: str = "", timeout_s: float = 1.0) -> bool:
    """Whether the standard health service at `address` reports SERVING for `service`
    ("" = the whole server); False when it answers otherwise or not at all."""
    with channel(address) as chan:
        try:
            reply = health_pb2_grpc.HealthStub(chan).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout_s
            )
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
