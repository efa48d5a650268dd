"""A train job's payload: the dataset fields, or a tuning candidate to retrain, checked by
name before any work starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.common.errors import InvalidInput, NotFound
from services.common.job_payloads import FromTuning, parse_train_job
from services.research.study_files import candidate_summary


def test_a_plain_train_job_has_no_candidate() -> None:
    job, choice = parse_train_job({"symbol": "BTCUSDT", "start_ms": 5})
    assert (job.symbol, job.start_ms, choice) == ("BTCUSDT", 5, None)


def test_from_tuning_defaults_to_the_best_candidate_up_to_the_holdout_end() -> None:
    _, choice = parse_train_job({"symbol": "BTCUSDT", "from_tuning": {}})
    assert choice == FromTuning(study="default", trial=None, through="holdout_end")
    _, choice = parse_train_job(
        {"symbol": "BTCUSDT", "from_tuning": {"study": "s", "trial": 4, "through": "now"}}
    )
    assert choice == FromTuning(study="s", trial=4, through="now")


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ({"studdy": "s"}, "from_tuning must be an object with keys"),
        ("best", "from_tuning must be an object"),
        ({"trial": "3"}, "from_tuning.trial must be a trial number"),
        ({"trial": True}, "from_tuning.trial must be a trial number"),
        ({"through": "yesterday"}, "holdout_end or now"),
    ],
)
def test_bad_choices_are_named(choice: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_train_job({"symbol": "BTCUSDT", "from_tuning": choice})


def test_the_candidate_is_read_from_the_study_listing(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no candidates.json"):
        candidate_summary(tmp_path)
    (tmp_path / "candidates.json").write_text('[{"trial": 7, "rank": 1}, {"trial": 2, "rank": 2}]')
    assert candidate_summary(tmp_path) == tmp_path / "tuning_summary_7.json"
    assert candidate_summary(tmp_path, 2) == tmp_path / "tuning_summary_2.json"
    with pytest.raises(NotFound, match=r"trial 5 is not a candidate .* \(candidates: 7, 2\)"):
        candidate_summary(tmp_path, 5)
