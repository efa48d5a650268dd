"""A .zip holding one data file (how data.binance.vision publishes trades and aggTrades)
-> that file's bytes in pieces, with the same protections as gzip: a bomb is refused before it
fills memory, and a damaged or truncated archive is refused rather than half read."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from services.common.errors import InvalidInput

ZIP_MAGIC = b"PK\x03\x04"
_PIECE = 8 * 1024 * 1024
_IGNORED_PREFIXES = ("__MACOSX/",)  # resource forks added by macOS's archiver


def unzip_pieces(handle: BinaryIO, name: str, limit: int) -> Iterator[bytes]:
    """Decompressed pieces of the archive's single file; `limit` bounds its size.

    Raises InvalidInput when the archive is damaged or truncated, holds no file or more than
    one, declares or produces more than `limit` bytes, or fails its CRC check.
    """
    try:
        archive = zipfile.ZipFile(handle)
    except zipfile.BadZipFile:
        raise InvalidInput(
            f"{name}: not a complete zip archive (its directory is missing: was the download "
            "cut off?)"
        ) from None
    with archive:
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir() and not info.filename.startswith(_IGNORED_PREFIXES)
        ]
        if len(members) != 1:
            listed = ", ".join(m.filename for m in members) or "nothing"
            raise InvalidInput(f"{name}: a zip must hold exactly one data file; it holds {listed}")
        member = members[0]
        if member.file_size > limit:
            raise InvalidInput(
                f"{name}: {member.filename} unpacks to {member.file_size:,} bytes, more than "
                f"{limit:,}: refused as a probable zip bomb"
            )
        total = 0
        try:
            with archive.open(member) as stream:
                while piece := stream.read(_PIECE):
                    total += len(piece)
                    if total > limit:  # the declared size can lie
                        raise InvalidInput(
                            f"{name}: {member.filename} unpacks to more than {limit:,} bytes: "
                            "refused as a probable zip bomb"
                        )
                    yield piece
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            # RuntimeError: an encrypted member; NotImplementedError: an unknown method.
            raise InvalidInput(
                f"{name}: damaged zip archive ({exc}); re-download the file"
            ) from None
