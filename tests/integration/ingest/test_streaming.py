"""Trade files are validated and stored in chunks: the result equals a whole-file ingest, a
bad line in a late chunk is named by its line in the file, and nothing is stored then."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from services.common.errors import InvalidInput
from services.ingest.bar_store import BarStore
from services.ingest.domain.trades import parse_trades
from services.ingest.service import IngestService
from services.ingest.store import TradeStore
from tests.integration.ingest.helpers import (
    SPOT,
    SYMBOL,
    assert_same_store,
    snapshot,
)


def chunked(data_dir: Path) -> IngestService:
    return IngestService(TradeStore(data_dir), BarStore(data_dir), chunk_bytes=64 * 1024)


def test_chunked_ingest_equals_whole_file_ingest(data_dir: Path, tmp_path: Path) -> None:
    whole = tmp_path / "whole"
    whole.mkdir()
    IngestService(TradeStore(whole), BarStore(whole), chunk_bytes=1 << 40).ingest_file(
        str(SPOT), SYMBOL
    )
    messages: list[str] = []

    result = chunked(data_dir).ingest_file(
        str(SPOT), SYMBOL, progress=lambda f, m: messages.append(m)
    )

    assert result.rows_stored == 19_904
    assert_same_store(data_dir, whole)
    validated = [m for m in messages if m.startswith("validated")]
    assert len(validated) > 10  # ~1.1 MB of text in 64 KB chunks
    assert "MB/s" in validated[-1] and validated[-1].endswith(f"100% of {SPOT.name}")
    assert not list((data_dir / "staging").iterdir())  # staging cleaned up


@pytest.mark.parametrize("compress", [False, True])
def test_bad_line_in_a_late_chunk_is_named_and_nothing_is_stored(
    data_dir: Path, tmp_path: Path, compress: bool
) -> None:
    lines = gzip.decompress(SPOT.read_bytes()).decode().splitlines()
    lines[15_000] = lines[15_000].replace("Buy", "Bought").replace("Sell", "Sold")
    text = ("\n".join(lines) + "\n").encode()
    bad = tmp_path / ("bad.csv.gz" if compress else "bad.csv")
    bad.write_bytes(gzip.compress(text) if compress else text)
    service = chunked(data_dir)
    service.ingest_file(str(SPOT), "ETHUSDT")  # something else in the store
    before = snapshot(data_dir)

    with pytest.raises(InvalidInput) as caught:
        service.ingest_file(str(bad), SYMBOL)

    assert str(caught.value).startswith(f"{bad.name} line 15001, field 'side': 'Bo")
    assert snapshot(data_dir) == before


def test_a_binance_zip_streams_in_chunks_like_the_whole_file(tmp_path: Path) -> None:
    """Binance's download as it comes (a .zip), cut into 64 kB chunks parsed two at a
    time: the store equals parsing the unzipped file whole (tick direction carried across
    chunks, line numbers of the file)."""
    from tests.unit.ingest.test_binance import PEPE_ZIP, unzip

    chunked, whole = tmp_path / "chunked", tmp_path / "whole"
    service = IngestService(TradeStore(chunked), BarStore(chunked), chunk_bytes=64 * 1024)
    result = service.ingest_file(str(PEPE_ZIP), "PEPEUSDT")
    expected = parse_trades(unzip(PEPE_ZIP), "p.csv")

    assert result.rows_stored == expected.height == 57_229
    stored = TradeStore(chunked).read("PEPEUSDT")
    assert stored.equals(expected, null_equal=True)
    IngestService(TradeStore(whole), BarStore(whole), chunk_bytes=1 << 40).ingest_file(
        str(PEPE_ZIP), "PEPEUSDT"
    )
    assert_same_store(chunked, whole, "PEPEUSDT")


def test_a_bad_line_deep_in_a_binance_zip_is_named_and_nothing_is_stored(
    tmp_path: Path,
) -> None:
    import io
    import zipfile

    from tests.unit.ingest.test_binance import PEPE_ZIP, unzip

    lines = unzip(PEPE_ZIP).decode().splitlines()
    lines[40_000] = lines[40_000].replace("True", "perhaps").replace("False", "perhaps")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("PEPEUSDT-aggTrades.csv", "\n".join(lines) + "\n")
    bad = tmp_path / "bad.zip"
    bad.write_bytes(buffer.getvalue())
    root = tmp_path / "store"
    service = IngestService(TradeStore(root), BarStore(root), chunk_bytes=64 * 1024)
    with pytest.raises(InvalidInput, match=r"bad.zip line 40001, field 'is_buyer_maker'"):
        service.ingest_file(str(bad), "PEPEUSDT")
    assert not (root / "trades").exists() and not (root / "bars").exists()
