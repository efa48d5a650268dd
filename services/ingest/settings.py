"""Ingest settings (env prefix TRADY_), on top of the shared plumbing settings."""

from __future__ import annotations

from services.common.settings import DEFAULT_PORTS, BaseServiceSettings

INGEST_QUEUE = "ingest"
"""RQ queue of ingest jobs (Redis key trady:ingest)."""


class IngestSettings(BaseServiceSettings):
    ingest_port: int = DEFAULT_PORTS["ingest"]
    """gRPC port (env TRADY_INGEST_PORT)."""
