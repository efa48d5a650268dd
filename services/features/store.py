"""The one place that reads and writes feature datasets under the data root.

Layout: ``features/{SYMBOL}/dataset.parquet`` + ``dataset.json``. Each file is written to a
temporary file beside its target and renamed into place, so readers never see half a file.
The Parquet file is renamed first and the JSON last; a reader that catches the moment between
the two renames sees a row count that disagrees with the metadata and retries once.

Thread-safety: instances hold no state but the root path; safe to share across threads.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl

from services.common.errors import IntegrityFailure, NotFound
from services.common.files import atomic_path
from services.features.domain.dataset import DatasetMeta
from services.features.domain.symbols import normalise_symbol

DATASET_FILE = "dataset.parquet"
META_FILE = "dataset.json"


class DatasetStore:
    """Feature datasets under `data_dir`; other services use `read` and `meta` read-only."""

    def __init__(self, data_dir: Path) -> None:
        self._root = Path(data_dir) / "features"

    def dataset_path(self, symbol: str) -> Path:
        """Where the symbol's Parquet lives (raises InvalidInput for a malformed symbol)."""
        return self._root / normalise_symbol(symbol) / DATASET_FILE

    def meta_path(self, symbol: str) -> Path:
        return self._root / normalise_symbol(symbol) / META_FILE

    def write(self, frame: pl.DataFrame, meta: DatasetMeta) -> Path:
        """Store a dataset and its metadata atomically (each file); returns the Parquet path."""
        target = self.dataset_path(meta.symbol)
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            frame.write_parquet(tmp, statistics=True)
        document = json.dumps(meta.to_dict(), indent=2, sort_keys=True).encode()
        with atomic_path(self.meta_path(meta.symbol)) as tmp:
            tmp.write_bytes(document)
        return target

    def meta(self, symbol: str) -> DatasetMeta:
        """The dataset's metadata. Raises NotFound (no dataset) or IntegrityFailure
        (unreadable metadata)."""
        path = self.meta_path(symbol)
        try:
            raw = json.loads(path.read_bytes())
        except FileNotFoundError:
            raise NotFound(
                f"no feature dataset for {symbol}: build it first (BuildFeatures)"
            ) from None
        except (OSError, ValueError) as exc:
            raise IntegrityFailure(f"{path} is unreadable: {exc}") from exc
        try:
            return DatasetMeta.from_dict(raw)
        except (KeyError, TypeError, ValueError) as exc:
            raise IntegrityFailure(f"{path} is malformed: {exc!r}") from exc

    def stamp(self, symbol: str) -> tuple[int, ...]:
        """A cheap fingerprint (inode, mtime, size of both files) that changes whenever the
        dataset is rewritten; for callers that cache what they derive from it.
        Raises NotFound when there is no dataset."""
        try:
            stats = [os.stat(self.meta_path(symbol)), os.stat(self.dataset_path(symbol))]
        except FileNotFoundError:
            raise NotFound(
                f"no feature dataset for {symbol}: build it first (BuildFeatures)"
            ) from None
        return tuple(v for st in stats for v in (st.st_ino, st.st_mtime_ns, st.st_size))

    def read(self, symbol: str) -> tuple[pl.DataFrame, DatasetMeta]:
        """The dataset frame and its metadata, checked to belong together.

        Raises NotFound (no dataset) or IntegrityFailure (files missing, unreadable or
        disagreeing even after one retry).
        """
        for attempt in range(2):
            meta = self.meta(symbol)
            frame = self._read_frame(symbol)
            problem = _mismatch(frame, meta)
            if problem is None:
                return frame, meta
            if attempt == 1:
                raise IntegrityFailure(f"feature dataset of {symbol}: {problem}; rebuild it")
        raise AssertionError("unreachable")

    def export(self, symbol: str, out: Path, start_ms: int = 0, end_ms: int = 0) -> int:
        """Write the dataset's rows with start_ms <= open_time < end_ms (0 = unbounded) to
        `out` (Parquet, or CSV when the name ends in .csv), atomically; returns the row count.
        Raises NotFound/IntegrityFailure as `read`."""
        frame, _ = self.read(symbol)
        millis = pl.col("open_time").dt.epoch("ms")
        if start_ms:
            frame = frame.filter(millis >= start_ms)
        if end_ms:
            frame = frame.filter(millis < end_ms)
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(out) as tmp:
            if out.suffix.lower() == ".csv":
                frame.write_csv(tmp)
            else:
                frame.write_parquet(tmp, statistics=True)
        return frame.height

    def _read_frame(self, symbol: str) -> pl.DataFrame:
        path = self.dataset_path(symbol)
        try:
            return pl.read_parquet(path)
        except FileNotFoundError:
            raise IntegrityFailure(f"{path} is missing although its metadata exists") from None
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise IntegrityFailure(f"{path} is unreadable: {exc}") from exc


def _mismatch(frame: pl.DataFrame, meta: DatasetMeta) -> str | None:
    if frame.height != meta.rows:
        return f"{frame.height} rows but the metadata says {meta.rows}"
    missing = [n for n in (*meta.feature_names, meta.label_name) if n not in frame.columns]
    if missing:
        return f"columns {missing} named in the metadata are missing"
    return None
