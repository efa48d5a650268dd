"""Receiving trade and candle files: streamed to uploads/ under the data root, then handed to
an ingest job. Nothing reaches the trade or bar store until the job has validated the file."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request, UploadFile
from pydantic import ValidationError

from services.gateway.deps import data_dir, settings
from services.gateway.schemas import IngestJobRequest

CHUNK_BYTES = 1024 * 1024
ALLOWED_SUFFIXES = (".csv", ".csv.gz", ".gz", ".zip", ".parquet", ".feather", ".arrow", ".ipc")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def uploads_dir(request: Request) -> Path:
    folder = data_dir(request) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def check_name(filename: str) -> str:
    name = Path(filename or "").name
    if not name.lower().endswith(ALLOWED_SUFFIXES):
        raise HTTPException(
            415, f"'{name}': expected one of {', '.join(ALLOWED_SUFFIXES)} (trades or candles)"
        )
    return name


async def save_upload(request: Request, upload: UploadFile) -> tuple[str, str]:
    """Stream the upload to disk in bounded memory and size; returns (stored, shown) names."""
    shown = check_name(upload.filename or "")
    stored = f"{uuid.uuid4().hex}_{_UNSAFE.sub('_', shown)}"
    target = uploads_dir(request) / stored
    limit = settings(request).max_upload_bytes
    written = 0
    partial = target.with_suffix(target.suffix + ".part")
    try:
        with partial.open("wb") as out:
            while chunk := await upload.read(CHUNK_BYTES):
                written += len(chunk)
                if written > limit:
                    raise HTTPException(413, f"'{shown}' is larger than {limit} bytes")
                out.write(chunk)
        if written == 0:
            raise HTTPException(422, f"'{shown}' is empty")
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    return stored, shown


def ingest_payload(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """Payload of an ingest job for a file already under uploads/ (no path escapes allowed)."""
    try:
        parsed = IngestJobRequest.model_validate(body)
    except ValidationError as exc:
        raise HTTPException(422, exc.errors(include_url=False)) from None
    folder = uploads_dir(request).resolve()
    path = (folder / parsed.upload).resolve()
    if path.parent != folder or not path.is_file():
        raise HTTPException(404, f"no uploaded file '{parsed.upload}'")
    return {
        "path": str(path),
        "symbol": parsed.symbol,
        "kind": parsed.kind,
        "timestamp_unit": parsed.timestamp_unit,
        "display_name": parsed.upload.split("_", 1)[-1],
    }
