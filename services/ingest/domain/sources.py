"""Raw file bytes -> what they are: gzip is unwrapped by its magic bytes (not by the file's
extension, since uploads lose their names), then the container format and the kind of data
(trades or candles) are sniffed from the content."""

from __future__ import annotations

import zlib
from enum import StrEnum

from services.common.errors import InvalidInput

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
ARROW_FILE_MAGIC = b"ARROW1"
ARROW_STREAM_MAGIC = b"\xff\xff\xff\xff"
FEATHER_V1_MAGIC = b"FEA1"
UTF8_BOM = b"\xef\xbb\xbf"
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # zlib's "gzip wrapper" mode


class FileFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"
    ARROW = "arrow"  # Arrow IPC, i.e. Feather v2


class Kind(StrEnum):
    TRADES = "trades"
    CANDLES = "candles"


TRADE_MARKERS = frozenset({"price", "size"})
CANDLE_MARKERS = frozenset({"open", "high", "low", "close"})


def gunzip_if_needed(data: bytes, name: str) -> bytes:
    """Return `data` decompressed if it starts with the gzip magic, else unchanged.

    Concatenated gzip members (what `cat a.gz b.gz` produces) are all read. A corrupt or
    truncated stream raises InvalidInput: half a file must never be ingested as if whole.
    """
    if not data.startswith(GZIP_MAGIC):
        return data
    parts: list[bytes] = []
    rest = data
    while rest:
        inflater = zlib.decompressobj(_GZIP_WBITS)
        try:
            parts.append(inflater.decompress(rest))
        except zlib.error as exc:
            raise InvalidInput(
                f"{name}: corrupt gzip data ({exc}); re-download or re-compress the file"
            ) from None
        if not inflater.eof:
            lines = sum(part.count(b"\n") for part in parts)
            raise InvalidInput(
                f"{name}: the gzip stream is truncated (it ends after {lines} complete lines); "
                "the file was probably cut off while copying or downloading"
            )
        rest = inflater.unused_data
        if rest and not rest.startswith(GZIP_MAGIC):
            # Trailing zero padding after the last member is common (tape/block tools).
            if rest.strip(b"\x00"):
                raise InvalidInput(f"{name}: unexpected bytes after the end of the gzip data")
            break
    return b"".join(parts)


def sniff_format(data: bytes, name: str) -> FileFormat:
    """Container format from magic bytes; anything else is treated as CSV text."""
    if data.startswith(FEATHER_V1_MAGIC):
        raise InvalidInput(
            f"{name}: Feather v1 files are not supported; save it as Feather v2 (Arrow IPC) "
            "or Parquet"
        )
    if data.startswith(PARQUET_MAGIC):
        return FileFormat.PARQUET
    if data.startswith(ARROW_FILE_MAGIC) or data.startswith(ARROW_STREAM_MAGIC):
        return FileFormat.ARROW
    return FileFormat.CSV


def header_names(data: bytes) -> list[str]:
    """The lower-cased column names of a CSV's first non-blank line (for sniffing only)."""
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    for raw in data[: 64 * 1024].split(b"\n"):
        line = raw.decode("utf-8", errors="replace").strip()
        if line:
            return [part.strip().strip('"').lower() for part in line.split(",")]
    return []


def detect_kind(data: bytes, fmt: FileFormat, name: str) -> Kind:
    """Trades or candles, from the format and the header.

    Columnar files are candles (trades are accepted as CSV only); a CSV with `price` and
    `size` holds trades, one with open/high/low/close holds candles.
    """
    if fmt is not FileFormat.CSV:
        return Kind.CANDLES
    names = set(header_names(data))
    if not names:
        raise InvalidInput(f"{name} line 1: the file is empty")
    if names >= TRADE_MARKERS:
        return Kind.TRADES
    if names >= CANDLE_MARKERS:
        return Kind.CANDLES
    raise InvalidInput(
        f"{name} line 1: cannot tell trades from candles by the header "
        f"({', '.join(sorted(names))}); trades need columns price and size, candles need "
        "open, high, low and close"
    )
