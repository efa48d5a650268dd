from pathlib import Path

import pytest

from services.common.files import atomic_path, write_bytes_atomic


def test_write_replaces_the_target_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "model.txt"
    write_bytes_atomic(target, b"one")
    write_bytes_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["model.txt"]


def test_a_failure_part_way_leaves_the_old_file_intact(tmp_path: Path) -> None:
    target = tmp_path / "bars.parquet"
    target.write_bytes(b"old and complete")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half of the new")
        raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"old and complete"
    assert [p.name for p in tmp_path.iterdir()] == ["bars.parquet"]
