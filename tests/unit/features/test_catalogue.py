"""docs/features.md is generated from the code: it must list exactly the current columns."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "gen_features_doc.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_features_doc", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_catalogue_is_up_to_date() -> None:
    generator = _generator()
    assert generator.OUT.read_text() == generator.render(), "run scripts/gen_features_doc.py"
