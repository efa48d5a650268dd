"""Binance's .zip downloads: the one file inside is read in pieces; damaged, truncated,
ambiguous and bomb archives are refused with the file named."""

from __future__ import annotations

import io
import zipfile

import pytest

from services.common.errors import InvalidInput
from services.ingest.domain.zip_member import ZIP_MAGIC, unzip_pieces
from tests.unit.ingest.test_binance import PEPE_ZIP, unzip

DATA = PEPE_ZIP.read_bytes()


def _read(data: bytes, limit: int = 10**9) -> bytes:
    return b"".join(unzip_pieces(io.BytesIO(data), "t.zip", limit))


def _zip(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_the_single_member_is_read_whole() -> None:
    assert DATA.startswith(ZIP_MAGIC)
    assert _read(DATA) == unzip(PEPE_ZIP)


def test_macos_resource_forks_are_ignored() -> None:
    assert _read(_zip(**{"a.csv": b"x\n", "__MACOSX/._a.csv": b"junk"})) == b"x\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (DATA[:-100], "not a complete zip archive"),
        (
            _zip(**{"a.csv": b"1\n", "b.csv": b"2\n"}),
            "exactly one data file; it holds a.csv, b.csv",
        ),
        (_zip(), "exactly one data file; it holds nothing"),
    ],
    ids=["truncated", "two files", "empty"],
)
def test_bad_archives_are_refused(data: bytes, expected: str) -> None:
    with pytest.raises(InvalidInput, match=expected):
        _read(data)


def test_a_flipped_byte_fails_the_crc() -> None:
    damaged = bytearray(DATA)
    damaged[5000] ^= 0xFF
    with pytest.raises(InvalidInput, match="t.zip: damaged zip archive"):
        _read(bytes(damaged))


def test_a_bomb_is_refused_before_it_is_unpacked() -> None:
    bomb = _zip(**{"a.csv": b"0" * 50_000_000})
    assert len(bomb) < 100_000
    with pytest.raises(InvalidInput, match="probable zip bomb"):
        _read(bomb, limit=10_000_000)
