"""report.html opened in a real browser (headless Chromium, Debian's package): every figure
renders, with its SVG layers and the WebGL canvas of the trade markers, and nothing fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import chromium
from bench.report_html import build_page

pytestmark = pytest.mark.skipif(
    chromium.binary() is None,
    reason="chromium is not installed (apt-get install chromium; .ci/run installs it)",
)


def test_the_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    page, _, result = build_page(20_000)  # two weeks of 1m bars through the engine
    assert result.trades.height > 100
    path = tmp_path / "report.html"
    path.write_text(page)
    loaded = chromium.load(path, timeout_s=120)
    assert loaded.errors == []  # no console error, exception or failed load
    plots = {plot["id"]: plot for plot in loaded.plots}
    assert set(plots) == {"fig-time", "fig-returns", "fig-monthly", "fig-reliability"}
    assert all(plot["svg"] >= 1 for plot in plots.values())
    assert plots["fig-time"]["canvas"] >= 1  # the WebGL markers were drawn
    assert plots["fig-returns"]["points"] > 0 and plots["fig-reliability"]["points"] > 0
    assert 0 < loaded.plotly_ms <= loaded.rendered_ms
    assert loaded.screenshot is not None and loaded.screenshot.startswith(b"\x89PNG")
    (tmp_path / "report.png").write_bytes(loaded.screenshot)
    assert len(loaded.screenshot) > 50_000  # a page of plots and tables, not a blank one
