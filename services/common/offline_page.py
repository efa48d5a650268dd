"""The shell of an offline report page: plotly.js inlined, figures drawn on load.

Plumbing shared by the backtest report and the tuning study's walk-forward report: the page
must open from a file, with no network (no CDN), so plotly.js (the copy the plotly package
ships) is inlined gzip-compressed as base64 and inflated by the browser's DecompressionStream
(~1.9 MB where the plain library is 4.8 MB). When every figure has rendered, the page sets
`data-rendered-ms` on <body> (performance.now(); `data-plotly-ms` once plotly.js runs), and on
a failure `data-render-error`, which the browser tests and the benchmark read.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import plotly
import plotly.graph_objects as go
import plotly.io as pio


def figure_scripts(figures: Mapping[str, go.Figure]) -> str:
    """The <script> elements that load plotly.js and draw each figure into the element whose
    id is its key (the page places those elements)."""
    payload = ",".join(
        f"{json.dumps(k)}:{pio.to_json(f, validate=False)}" for k, f in figures.items()
    )
    # A text inside a figure (a parameter's name, a hover label) must not end the script.
    payload = payload.replace("</", "<\\/")
    return (
        f"<script>{_plotly_loader()}</script>\n"
        f"<script>const FIGURES = {{{payload}}};\n{_RENDER_JS}</script>\n"
    )


@lru_cache(maxsize=1)
def _plotly_loader() -> str:
    """plotly.js as gzip + base64, with its license header kept readable."""
    source = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    code = source.read_bytes()
    header = code[: code.index(b"*/") + 2].decode() if code.startswith(b"/*") else ""
    packed = base64.b64encode(gzip.compress(code, compresslevel=9, mtime=0)).decode()
    return f"{header}\nconst PLOTLY_GZ = {json.dumps(packed)};\n"


_RENDER_JS = """
(async () => {
  const raw = atob(PLOTLY_GZ);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  const script = document.createElement("script");
  script.textContent = await new Response(stream).text();
  document.head.appendChild(script);
  document.body.dataset.plotlyMs = performance.now().toFixed(0);
  const config = {responsive: true, displaylogo: false};
  await Promise.all(Object.entries(FIGURES).map(
    ([id, fig]) => Plotly.newPlot(id, fig.data, fig.layout, config)));
  requestAnimationFrame(() => {
    document.body.dataset.renderedMs = performance.now().toFixed(0);
  });
})().catch((error) => {
  document.body.dataset.renderError = String(error);
  document.body.insertAdjacentHTML("beforeend", `<p class="warnings">${error}</p>`);
});
"""
PAGE_CSS = (
    "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}"
    ".tables{display:flex;gap:1.5rem 2rem;flex-wrap:wrap;align-items:flex-start}"
    "table{border-collapse:collapse;font-size:.85rem}"
    "caption{font-weight:600;text-align:left;padding-bottom:.2rem}"
    "th,td{border-bottom:1px solid #ddd;padding:.15rem .5rem;text-align:left}"
    "td{font-variant-numeric:tabular-nums;text-align:right}thead th{text-align:right}"
    ".warnings{color:#a60;font-weight:600}.plot{margin-top:1rem}"
)
