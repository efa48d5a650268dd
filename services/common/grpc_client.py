"""Channel helpers for typed clients: one channel per address, with sane timeouts."""

from __future__ import annotations

import grpc

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
