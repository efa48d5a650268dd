"""Proto <-> plain value mappings shared by the servicer and the typed client (kept apart
from both so the client does not import the server side, polars included)."""

from __future__ import annotations

from services.contracts.trady.v1 import ingest_pb2

KIND_TO_PROTO = {
    "auto": ingest_pb2.FILE_KIND_UNSPECIFIED,
    "trades": ingest_pb2.FILE_KIND_TRADES,
    "candles": ingest_pb2.FILE_KIND_CANDLES,
}
PROTO_TO_KIND = {value: key for key, value in KIND_TO_PROTO.items()}
