"""Open a page in headless Chromium (Debian's package) over the DevTools protocol on a pipe.

No browser is downloaded and no extra package is needed: Chromium is started with
`--remote-debugging-pipe` (commands on fd 3, replies on fd 4, NUL-separated JSON), which lets
us time a page in real time (not the virtual time of `--virtual-time-budget`), wait until the
page says it has rendered, inspect the DOM and take a full-page screenshot.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio")
RENDERED = "document.body && document.body.dataset.renderedMs"
RENDER_ERROR = "document.body && document.body.dataset.renderError"
PLOTS = """JSON.stringify([...document.querySelectorAll('.js-plotly-plot')].map(d => ({
  id: d.id, svg: d.querySelectorAll('svg.main-svg').length,
  canvas: d.querySelectorAll('canvas').length,
  points: d.querySelectorAll('.point, .bars path').length})))"""


def binary() -> str | None:
    """The chromium executable on PATH, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass(frozen=True)
class PageLoad:
    rendered_ms: float  # the page's performance.now() when every plot had rendered
    plotly_ms: float  # ... when plotly.js had been inflated and run (nan if not reported)
    wall_s: float  # navigate -> render mark seen, measured here
    plots: list[dict[str, Any]]  # per plot div: id, svg layers, canvases
    screenshot: bytes | None
    errors: list[str]  # console errors, uncaught exceptions and failed loads the page logged
    probe: Any = None  # the value of `probe` (a JS expression) once the page had rendered


class _Pipe:
    def __init__(self, process: subprocess.Popen[bytes], write_fd: int, read_fd: int) -> None:
        self._process, self._write, self._read = process, write_fd, read_fd
        self._buffer, self._next_id = b"", 0
        self.errors: list[str] = []

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._message()
            if "method" in reply:  # an event, not a reply: keep what the page reports as errors
                self._note(reply)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result

    def _note(self, event: dict[str, Any]) -> None:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.errors.append(str(details.get("exception", {}).get("description") or details))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.errors.append(" ".join(str(a.get("value", a)) for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.errors.append(f"{entry.get('text')} {entry.get('url', '')}".strip())

    def _message(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise RuntimeError(f"chromium closed the pipe (exit {self._process.poll()})")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(raw)
        return parsed


def load(
    page: Path,
    *,
    width: int = 1400,
    timeout_s: float = 60.0,
    screenshot: bool = True,
    probe: str = "null",
) -> PageLoad:
    """Open `page`, wait until it sets data-rendered-ms on <body>, and report (with the
    value of the JS expression `probe`, evaluated then).

    Raises:
        RuntimeError: chromium is missing, the page reported a render error, or it did not
            render within `timeout_s`.
    """
    executable = binary()
    if executable is None:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    # Chromium reads commands on its fd 3 and writes replies on its fd 4; our ends are moved
    # to fds >= 10 first, so bash can place them on 3 and 4 without clobbering either.
    low_read, from_parent = os.pipe()
    to_parent, low_write = os.pipe()
    to_child = fcntl.fcntl(low_read, fcntl.F_DUPFD_CLOEXEC, 10)
    from_child = fcntl.fcntl(low_write, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(low_read)
    os.close(low_write)
    with tempfile.TemporaryDirectory() as profile:
        wire = f'exec "$0" "$@" 3<&{to_child} 4>&{from_child} {to_child}<&- {from_child}>&-'
        process = subprocess.Popen(
            [
                "bash",
                "-c",
                wire,
                executable,
                *FLAGS,
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
            ],
            pass_fds=(to_child, from_child),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child)
        os.close(from_child)
        pipe = _Pipe(process, from_parent, to_parent)
        try:
            return _drive(pipe, page, width, timeout_s, screenshot, probe)
        finally:
            with contextlib.suppress(RuntimeError):
                pipe.call("Browser.close")
            process.wait(timeout=30)
            os.close(from_parent)
            os.close(to_parent)


def _drive(
    pipe: _Pipe, page: Path, width: int, timeout_s: float, screenshot: bool, probe: str
) -> PageLoad:
    target = pipe.call("Target.createTarget", url="about:blank")["targetId"]
    session = pipe.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    pipe.call(
        "Emulation.setDeviceMetricsOverride",
        session,
        width=width,
        height=1000,
        deviceScaleFactor=1,
        mobile=False,
    )
    # Console errors, exceptions and failed loads (a resource the page tried to fetch) arrive
    # as events from these two domains.
    pipe.call("Runtime.enable", session)
    pipe.call("Log.enable", session)
    start = time.perf_counter()
    pipe.call("Page.navigate", session, url=page.resolve().as_uri())
    rendered = None
    while time.perf_counter() - start < timeout_s:
        rendered = _value(pipe, session, RENDERED)
        if rendered:
            break
        error = _value(pipe, session, RENDER_ERROR)
        if error:
            raise RuntimeError(f"the page failed to render: {error}")
        time.sleep(0.02)
    wall = time.perf_counter() - start
    if not rendered:
        raise RuntimeError(f"the page did not render within {timeout_s:.0f} s")
    plots = json.loads(_value(pipe, session, PLOTS) or "[]")
    plotly_ms = float(_value(pipe, session, "document.body.dataset.plotlyMs") or "nan")
    probed = _value(pipe, session, probe)
    image = None
    if screenshot:
        shot = pipe.call(
            "Page.captureScreenshot", session, format="png", captureBeyondViewport=True
        )
        image = base64.b64decode(shot["data"])
    return PageLoad(float(rendered), plotly_ms, wall, plots, image, list(pipe.errors), probed)


def _value(pipe: _Pipe, session: str, expression: str) -> Any:
    reply = pipe.call("Runtime.evaluate", session, expression=expression, returnByValue=True)
    return reply.get("result", {}).get("value")
