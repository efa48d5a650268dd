import math

import numpy as np
import pytest

from services.common.errors import Conflict, InvalidInput
from services.predictor.domain.vector import assemble_row, check_feature_set

NAMES = ["ret_1m_1", "rsi_1m_14", "atr_5m_14"]


def test_row_follows_the_models_order_not_the_mappings() -> None:
    row = assemble_row(NAMES, {"atr_5m_14": 3.0, "ret_1m_1": 1.0, "rsi_1m_14": 2.0})
    assert row.dtype == np.float64
    assert row.tolist() == [1.0, 2.0, 3.0]


def test_ints_are_accepted_as_floats() -> None:
    assert assemble_row(["a", "b"], {"b": 2, "a": -1}).tolist() == [-1.0, 2.0]


def test_missing_features_are_all_named_sorted() -> None:
    with pytest.raises(InvalidInput) as info:
        assemble_row(["z", "b", "a", "c"], {"c": 1.0})
    message = str(info.value)
    assert "missing 3 feature(s): a, b, z" in message
    assert "unknown" not in message


def test_unknown_extra_names_are_named_sorted() -> None:
    with pytest.raises(InvalidInput) as info:
        assemble_row(["a"], {"a": 1.0, "zeta": 2.0, "beta": 3.0})
    assert "unknown feature(s) beta, zeta" in str(info.value)


def test_missing_and_extra_are_reported_together() -> None:
    with pytest.raises(InvalidInput) as info:
        assemble_row(["a", "b"], {"a": 1.0, "c": 2.0})
    message = str(info.value)
    assert "missing 1 feature(s): b" in message
    assert "unknown feature(s) c" in message


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_refused_and_named(bad: float) -> None:
    with pytest.raises(InvalidInput) as info:
        assemble_row(NAMES, {"ret_1m_1": 0.1, "rsi_1m_14": bad, "atr_5m_14": bad})
    assert "not finite: atr_5m_14, rsi_1m_14" in str(info.value)


def test_long_name_lists_are_cut_but_counted() -> None:
    names = [f"f{i:03d}" for i in range(50)]
    with pytest.raises(InvalidInput) as info:
        assemble_row(names, {})
    message = str(info.value)
    assert "missing 50 feature(s): f000, f001" in message
    assert "(+30 more)" in message
    assert "f049" not in message


def test_same_feature_set_passes() -> None:
    check_feature_set("fs-1", NAMES, "fs-1", list(NAMES))


def test_different_feature_set_id_is_a_conflict_naming_both() -> None:
    with pytest.raises(Conflict) as info:
        check_feature_set("fs-model", NAMES, "fs-latest", NAMES)
    assert "'fs-model'" in str(info.value)
    assert "'fs-latest'" in str(info.value)


def test_same_id_but_different_names_is_a_conflict() -> None:
    with pytest.raises(Conflict) as info:
        check_feature_set("fs-1", NAMES, "fs-1", ["ret_1m_1", "rsi_1m_14", "vol_z"])
    assert "missing atr_5m_14" in str(info.value)
    assert "unexpected vol_z" in str(info.value)


def test_same_names_in_another_order_is_a_conflict() -> None:
    with pytest.raises(Conflict, match="different order"):
        check_feature_set("fs-1", NAMES, "fs-1", list(reversed(NAMES)))
