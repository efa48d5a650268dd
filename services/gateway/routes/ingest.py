"""Upload of raw trades or candles (admin): stored aside, then ingested by a job."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile, status

from services.gateway.auth import AdminCaller
from services.gateway.deps import RedisConn
from services.gateway.routes.jobs import start_job
from services.gateway.schemas import JobAccepted, TimestampUnit
from services.gateway.uploads import ingest_payload, save_upload

router = APIRouter(prefix="/api/v1", tags=["ingest"])


@router.post("/ingest", status_code=status.HTTP_202_ACCEPTED)
async def upload(
    request: Request,
    file: Annotated[UploadFile, File(description="trades CSV (.csv/.csv.gz) or 1m candles")],
    symbol: Annotated[str, Form(examples=["BTCUSDT"])],
    _: AdminCaller,
    redis: RedisConn,
    kind: Annotated[Literal["auto", "trades", "candles"], Form()] = "auto",
    timestamp_unit: Annotated[
        TimestampUnit,
        Form(description="unit of numeric times; auto: each value by its magnitude"),
    ] = "auto",
) -> JobAccepted:
    """Upload a Bybit trades CSV (`timestamp,price,size,side,tickDirection`, plain or .gz) or a
    1m candle file (CSV, Parquet, Feather). Returns the ingest job; a bad file fails that job
    with the file, line and field named, and nothing of it is stored."""
    stored, _shown = await save_upload(request, file)
    body = {"symbol": symbol, "upload": stored, "kind": kind, "timestamp_unit": timestamp_unit}
    payload = ingest_payload(request, body)
    return start_job(redis, request, "ingest", payload)
