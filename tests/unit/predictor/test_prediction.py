import math

import pytest

from services.common.errors import IntegrityFailure, InvalidInput
from services.predictor.domain.prediction import (
    check_artifact_matches_record,
    make_prediction,
    normalize_symbol,
)


def test_signal_is_on_at_and_above_the_threshold() -> None:
    at = make_prediction("BTCUSDT", "1.0.0+x", 0.55, 0.55, 0)
    below = make_prediction("BTCUSDT", "1.0.0+x", 0.5499, 0.55, 0)
    above = make_prediction("BTCUSDT", "1.0.0+x", 0.9, 0.55, 1_700_000_000_000)
    assert (at.signal, below.signal, above.signal) == (True, False, True)
    assert above.feature_timestamp_ms == 1_700_000_000_000
    assert above.threshold == 0.55
    assert above.model_version == "1.0.0+x"


@pytest.mark.parametrize("bad", [-0.01, 1.01, math.nan])
def test_probability_outside_unit_interval_is_an_integrity_failure(bad: float) -> None:
    with pytest.raises(IntegrityFailure, match="outside"):
        make_prediction("BTCUSDT", "1.0.0+x", bad, 0.5, 0)


def test_symbols_are_upper_cased_and_validated() -> None:
    assert normalize_symbol(" btcusdt ") == "BTCUSDT"
    for bad in ["", "  ", "BTC/USDT", "../etc"]:
        with pytest.raises(InvalidInput):
            normalize_symbol(bad)


def _check(**changes: object) -> None:
    kwargs: dict[str, object] = {
        "registered_version": "1.0.0+a",
        "registered_symbol": "BTCUSDT",
        "registered_feature_names": ["a", "b"],
        "registered_feature_set_id": "fs",
        "artifact_version": "1.0.0+a",
        "artifact_symbol": "BTCUSDT",
        "artifact_feature_names": ["a", "b"],
        "artifact_feature_set_id": "fs",
    }
    kwargs.update(changes)
    check_artifact_matches_record(**kwargs)  # type: ignore[arg-type]


def test_artifact_matching_the_record_passes() -> None:
    _check()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("artifact_version", "1.0.1+b"),
        ("artifact_symbol", "ETHUSDT"),
        ("artifact_feature_set_id", "other"),
        ("artifact_feature_names", ["b", "a"]),
    ],
)
def test_artifact_disagreeing_with_the_record_is_refused(field: str, value: object) -> None:
    with pytest.raises(IntegrityFailure, match=field.removeprefix("artifact_")):
        _check(**{field: value})
