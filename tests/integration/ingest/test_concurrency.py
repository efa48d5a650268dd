"""Two ingests of the same symbol at once serialise on the symbol's lock: the store ends up
exactly as after the same two ingests one after the other."""

from __future__ import annotations

import threading
from pathlib import Path

from services.ingest.domain.results import IngestResult
from services.ingest.service import IngestService
from tests.integration.ingest.helpers import (
    SYMBOL,
    assert_same_store,
    build_service,
    sample_lines,
    snapshot,
    write_slice,
)


def ingest_together(services: list[IngestService], paths: list[Path]) -> list[IngestResult]:
    start = threading.Barrier(len(paths))
    results: dict[int, IngestResult] = {}
    errors: list[BaseException] = []

    def run(index: int, path: Path) -> None:
        start.wait()
        try:
            results[index] = services[index].ingest_file(str(path), SYMBOL)
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, p)) for i, p in enumerate(paths)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return [results[i] for i in range(len(paths))]


def test_concurrent_overlapping_ingests_equal_sequential_ones(tmp_path: Path) -> None:
    _, lines = sample_lines()
    third = len(lines) // 3
    # Overlapping windows that both span midnight, so both touch both day files.
    a = write_slice(tmp_path / "a.csv", 0, 2 * third + 500)
    b = write_slice(tmp_path / "b.csv", third, len(lines))
    sequential = tmp_path / "sequential"
    sequential.mkdir()
    reference = build_service(sequential)
    reference.ingest_file(str(a), SYMBOL)
    reference.ingest_file(str(b), SYMBOL)
    reversed_order = tmp_path / "reversed"
    reversed_order.mkdir()
    build_service(reversed_order).ingest_file(str(b), SYMBOL)
    build_service(reversed_order).ingest_file(str(a), SYMBOL)
    assert_same_store(sequential, reversed_order)  # so any serial order is the reference

    for attempt in range(3):
        root = tmp_path / f"concurrent-{attempt}"
        root.mkdir()
        # Two service instances, as two server or worker processes would have.
        first, second = ingest_together([build_service(root), build_service(root)], [a, b])

        assert first.rows_stored + second.rows_stored == len(lines)
        assert first.duplicates + second.duplicates == first.rows_read + second.rows_read - len(
            lines
        )
        assert_same_store(root, sequential)
        assert not [name for name in snapshot(root) if name.endswith(".tmp")]
