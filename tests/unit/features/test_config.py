from pathlib import Path

import pytest

from services.common.errors import InvalidInput
from services.features.domain.config import FeatureSettings, load_feature_settings
from services.features.domain.symbols import normalise_symbol

EXAMPLE = Path(__file__).resolve().parents[3] / "configs" / "ml.example.yaml"


def test_the_example_file_parses_and_other_sections_are_left_alone() -> None:
    settings = load_feature_settings(EXAMPLE.read_text())
    assert settings.features.timeframes == ["1m", "5m", "15m", "1h", "4h"]
    assert settings.features.return_periods == [1, 5, 15]
    assert settings.features.ema_periods == [9, 21, 50, 200]
    assert (settings.features.rsi_period, settings.features.atr_period) == (14, 14)
    assert settings.features.volume_z_window == 20
    assert settings.label.kind == "forward_return"
    assert settings.label.horizon_steps == 15
    assert settings.label.return_threshold == 0.002


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("features: {timeframes: [2m]}", "features.timeframes.0"),
        ("features: {timeframes: [1m, 1m]}", "duplicates"),
        ("features: {ema_periods: [0, 3]}", "positive"),
        ("features: {rsi_period: -1}", "features.rsi_period"),
        ("features: {volume_z_window: 1}", "features.volume_z_window"),
        ("features: {rsi_periods: 14}", "Extra inputs"),
        ("label: {horizon: 3}", "label.horizon"),
        ("label: {kind: triple_barrier}", "label.kind"),
        ("label: {horizon_steps: 0}", "label.horizon_steps"),
        ("features: {rsi_period: true}", "features.rsi_period"),
        ("- just a list", "mapping"),
        ("features: [1", "not valid YAML"),
    ],
)
def test_bad_configs_fail_loudly(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as info:
        load_feature_settings(text)
    assert fragment in str(info.value)


def test_lists_are_normalised() -> None:
    settings = load_feature_settings("features: {timeframes: [4h, 1m, 1h], ema_periods: [50, 9]}")
    assert settings.features.timeframes == ["1m", "1h", "4h"]
    assert settings.features.ema_periods == [9, 50]


def test_missing_sections_come_from_the_base_config() -> None:
    base = load_feature_settings("label: {horizon_steps: 30}\nfeatures: {timeframes: [5m]}")
    merged = load_feature_settings("label: {horizon_steps: 5}", base=base)
    assert merged.features.timeframes == ["5m"]
    assert merged.label.horizon_steps == 5
    assert load_feature_settings("training: {test_fraction: 0.3}") == FeatureSettings()


@pytest.mark.parametrize("raw", ["../etc", "BTC/USDT", "B", "", "A" * 21, "btc usdt"])
def test_symbols_that_could_escape_or_are_malformed_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidInput):
        normalise_symbol(raw)


def test_symbols_are_trimmed_and_upper_cased() -> None:
    assert normalise_symbol(" btcusdt ") == "BTCUSDT"
