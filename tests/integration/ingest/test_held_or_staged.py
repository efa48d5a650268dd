"""A trade file is validated whole before anything is stored, whether its trades are held in
memory (a small file) or spilled to the staging folder (a large one): both store the same
bits, and a problem found anywhere - a bad line, a broken gzip stream - stores nothing."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from services.common.errors import InvalidInput
from services.ingest.bar_store import BarStore
from services.ingest.service import IngestService
from services.ingest.store import TradeStore
from services.ingest.validated_trades import ValidatedTrades
from tests.integration.ingest.helpers import SPOT, SYMBOL, assert_same_store, snapshot

CHUNK = 64 * 1024  # the ~1.1 MB sample in ~18 chunks


def service(root: Path, held_bytes: int) -> IngestService:
    return IngestService(TradeStore(root), BarStore(root), chunk_bytes=CHUNK, held_bytes=held_bytes)


@pytest.fixture
def lines() -> list[str]:
    return gzip.decompress(SPOT.read_bytes()).decode().splitlines()


def test_held_and_staged_ingests_store_the_same(data_dir: Path, tmp_path: Path) -> None:
    staged_root = tmp_path / "staged"
    staged_root.mkdir()

    held = service(data_dir, held_bytes=1 << 40).ingest_file(str(SPOT), SYMBOL)
    staged = service(staged_root, held_bytes=0).ingest_file(str(SPOT), SYMBOL)

    assert held == staged
    assert held.rows_stored == 19_904
    assert_same_store(data_dir, staged_root)
    again = service(staged_root, held_bytes=0).ingest_file(str(SPOT), SYMBOL)
    assert again.rows_stored == 0  # idempotent on the staged path too


def test_spilling_part_way_keeps_every_chunk_in_order(data_dir: Path, tmp_path: Path) -> None:
    whole = tmp_path / "whole"
    whole.mkdir()
    service(whole, held_bytes=1 << 40).ingest_file(str(SPOT), SYMBOL)

    service(data_dir, held_bytes=200_000).ingest_file(str(SPOT), SYMBOL)  # spills at chunk ~4

    assert_same_store(data_dir, whole)
    assert not list((data_dir / "staging").iterdir())


def test_trades_spill_past_the_budget_only(data_dir: Path) -> None:
    trades = TradeStore(data_dir)
    service(data_dir, held_bytes=1 << 40).ingest_file(str(SPOT), SYMBOL)
    sample = trades.read(SYMBOL)
    with trades.staging() as folder:
        validated = ValidatedTrades(trades, folder, held_bytes=sample.estimated_size() + 1)
        validated.add(sample)
        assert not validated.spilled and not list(folder.iterdir())
        validated.add(sample.head(1))
        assert validated.spilled and list(folder.iterdir())


@pytest.mark.parametrize("held_bytes", [0, 1 << 40])
@pytest.mark.parametrize("compress", [False, True])
def test_a_bad_line_stores_nothing_either_way(
    data_dir: Path, tmp_path: Path, lines: list[str], held_bytes: int, compress: bool
) -> None:
    lines[17_000] = lines[17_000].replace("Buy", "Bought").replace("Sell", "Sold")
    text = ("\n".join(lines) + "\n").encode()
    bad = tmp_path / ("bad.csv.gz" if compress else "bad.csv")
    bad.write_bytes(gzip.compress(text) if compress else text)
    ingest = service(data_dir, held_bytes)
    ingest.ingest_file(str(SPOT), "ETHUSDT")
    before = snapshot(data_dir)

    with pytest.raises(InvalidInput, match=rf"^{bad.name} line 17001, field 'side': 'Bo"):
        ingest.ingest_file(str(bad), SYMBOL)

    assert snapshot(data_dir) == before


@pytest.mark.parametrize("held_bytes", [0, 1 << 40])
def test_broken_gzip_is_refused_from_the_reading_thread_and_stores_nothing(
    data_dir: Path, tmp_path: Path, held_bytes: int
) -> None:
    packed = SPOT.read_bytes()
    corrupt = bytearray(packed)
    corrupt[-6] ^= 0xFF  # the CRC: found only once the whole member has been inflated
    cases = {
        "truncated.csv.gz": (packed[: len(packed) * 3 // 4], "the gzip stream is truncated"),
        "corrupt.csv.gz": (bytes(corrupt), "corrupt gzip data"),
        "junk.csv.gz": (packed + b"junk", "unexpected bytes after the end of the gzip data"),
    }
    ingest = service(data_dir, held_bytes)
    ingest.ingest_file(str(SPOT), "ETHUSDT")
    before = snapshot(data_dir)

    for name, (data, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(InvalidInput, match=rf"^{name}: .*{message}"):
            ingest.ingest_file(str(path), SYMBOL)

    assert snapshot(data_dir) == before


def test_a_streamed_gzip_bomb_is_refused_and_stores_nothing(data_dir: Path, tmp_path: Path) -> None:
    header = gzip.decompress(SPOT.read_bytes()).split(b"\n", 1)[0] + b"\n"
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(header + b"0" * (300 * 1024 * 1024), compresslevel=9))

    with pytest.raises(
        InvalidInput, match=r"^bomb\.csv\.gz: decompresses to more than .*gzip bomb"
    ):
        service(data_dir, 1 << 40).ingest_file(str(bomb), SYMBOL)

    assert not TradeStore(data_dir).days(SYMBOL)


def test_concatenated_gzip_members_ingest_as_one_file(
    data_dir: Path, tmp_path: Path, lines: list[str]
) -> None:
    half = len(lines) // 2
    first = ("\n".join(lines[:half]) + "\n").encode()
    rest = ("\n".join(lines[half:]) + "\n").encode()
    joined = tmp_path / "cat.csv.gz"
    joined.write_bytes(gzip.compress(first) + gzip.compress(rest))  # what `cat a.gz b.gz` makes
    whole = tmp_path / "whole"
    whole.mkdir()
    service(whole, 1 << 40).ingest_file(str(SPOT), SYMBOL)

    result = service(data_dir, 1 << 40).ingest_file(str(joined), SYMBOL)

    assert result.rows_stored == 19_904
    assert_same_store(data_dir, whole)
