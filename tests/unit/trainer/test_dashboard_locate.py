"""Which store `trady dashboard` shows, and the sentences it fails with (no server here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.common.errors import InvalidInput, NotFound
from services.trainer.tuning.dashboard import Target, locate


def study_db(models: Path, symbol: str = "BTCUSDT", study: str = "default") -> Path:
    folder = models / symbol / study
    folder.mkdir(parents=True)
    db = folder / "optuna.db"
    db.write_bytes(b"")
    return db


def test_a_symbol_means_its_study_folders_optuna_db(tmp_path: Path) -> None:
    db = study_db(tmp_path, study="fast")
    target = locate(tmp_path, symbol="btcusdt", study="fast", shared_url="postgresql://x/y")
    assert target == Target(f"sqlite:///{db}", "fast")


def test_the_default_study_is_default(tmp_path: Path) -> None:
    db = study_db(tmp_path)
    assert locate(tmp_path, symbol="BTCUSDT") == Target(f"sqlite:///{db}", "default")


def test_a_storage_url_wins_and_shows_every_study(tmp_path: Path) -> None:
    study_db(tmp_path)
    url = "postgresql://trady:secret@db:5432/trady_tuning"
    target = locate(tmp_path, symbol="BTCUSDT", storage_url=url)
    assert target == Target(url, None)
    assert "secret" not in target.shown


def test_without_either_the_workers_shared_store(tmp_path: Path) -> None:
    url = "postgresql://trady@db/trady_tuning"
    assert locate(tmp_path, study="s1", shared_url=url) == Target(url, "s1")


def test_nothing_to_show_says_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="SYMBOL.*--storage.*TRADY_TUNING_STORAGE_URL"):
        locate(tmp_path)


def test_a_missing_study_names_the_folder(tmp_path: Path) -> None:
    study_db(tmp_path)
    with pytest.raises(NotFound) as caught:
        locate(tmp_path, symbol="BTCUSDT", study="nope")
    assert str(tmp_path / "BTCUSDT" / "nope") in str(caught.value)
    assert "trady tune BTCUSDT --study nope" in str(caught.value)


def test_a_folder_without_optuna_db_says_to_pass_its_store(tmp_path: Path) -> None:
    (tmp_path / "BTCUSDT" / "shared").mkdir(parents=True)
    with pytest.raises(NotFound, match=r"optuna\.db does not exist.*--storage"):
        locate(tmp_path, symbol="BTCUSDT", study="shared")


def test_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "elsewhere" / "optuna.db"
    with pytest.raises(NotFound, match=str(missing)):
        locate(tmp_path, storage_url=f"sqlite:///{missing}")
    assert not missing.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"symbol": "BTC/USDT"}, "invalid symbol"),
        ({"symbol": "BTCUSDT", "study": "../x"}, "study name"),
        ({"storage_url": "not a url"}, "not a storage URL"),
    ],
)
def test_bad_names_are_refused(tmp_path: Path, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        locate(tmp_path, **kwargs)
