"""The vectorised byte census and newline count agree with plain Python on every byte."""

from __future__ import annotations

import numpy as np
import pytest

from services.ingest.domain.kernel import ByteCensus, byte_census
from services.ingest.domain.sources import count_newlines


def _reference(data: bytes) -> ByteCensus:
    unusual = any((b < 32 and b != 10) or b in (32, 34) for b in data)
    return ByteCensus(data.count(b"\n"), data.count(b","), unusual, any(b >= 128 for b in data))


@pytest.mark.parametrize("byte", range(256))
def test_each_byte_value_is_classified_as_before(byte: int) -> None:
    data = b"1704067200.5,1,2,Buy\n" * 3 + bytes([byte]) + b",x\n"
    assert byte_census(data) == _reference(data)
    assert count_newlines(data) == data.count(b"\n")


def test_random_text_and_edges() -> None:
    rng = np.random.default_rng(3)
    for size in (0, 1, 7, 64, 1_000, 100_003):
        data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        assert byte_census(data) == _reference(data)
        assert count_newlines(data) == data.count(b"\n")
    clean = b"timestamp,price\n1,2\n"
    assert byte_census(clean) == ByteCensus(2, 2, False, False)
