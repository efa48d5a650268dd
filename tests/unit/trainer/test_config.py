from __future__ import annotations

from pathlib import Path

import pytest

from services.common.errors import InvalidInput
from services.trainer.domain.config import parse_config

EXAMPLE = Path(__file__).resolve().parents[3] / "configs" / "ml.example.yaml"


def test_the_example_config_parses() -> None:
    config = parse_config(EXAMPLE.read_text())
    assert config.training.test_fraction == 0.2
    assert config.training.params["objective"] == "binary"
    assert config.threshold == 0.30  # from the backtest section


def test_missing_sections_come_from_the_base_config() -> None:
    base = parse_config(EXAMPLE.read_text())
    config = parse_config("training: {test_fraction: 0.3}", base=base)
    assert config.training.test_fraction == 0.3
    assert config.threshold == 0.30
    assert parse_config("", base=base) == base
    assert parse_config("").threshold == 0.5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("training: {test_fractoin: 0.2}", "training.test_fractoin"),
        ("training: {test_fraction: 0.5, valid_fraction: 0.4}", "too little to train"),
        ("training: {params: {objective: regression}}", "binary objective"),
        ("training: {params: {when: 2025-01-01}}", "params.when"),
        ("backtest: {threshold: 1.5}", "backtest.threshold"),
        ("- a list", "mapping"),
        ("training: [", "YAML"),
    ],
)
def test_bad_configs_are_rejected_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_config(text)


def test_other_services_keys_in_backtest_are_left_to_them() -> None:
    assert parse_config("backtest: {threshold: 0.6, fee_bps: 5}").threshold == 0.6
