"""Drive the planner Voila app in a real browser (Playwright + Chromium).

Used by ``tests/test_planner_browser.py`` and ``benchmarks/bench_planner.py``;
needs the ``playwright`` Python package and a Chromium binary (Debian's
``/usr/bin/chromium`` by default; never downloads one).

Round-trip time of a control change is measured inside the page: a capturing
listener stamps the control's commit event (``change``, Enter, click) with
``performance.now()``, and a ``MutationObserver`` stamps the moment the status
line shows the new update counter (``data-version``); the status is the last
of the three output widgets the kernel writes, so the table and the plot are
already in the DOM then.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..errors import CnimodelError

__all__ = ["chromium_path", "browser_available", "PlannerServer", "PlannerPage", "launch_chromium",
           "CHROMIUM_ARGS"]

#: Chromium flags: headless, as root in CI, no network chatter of its own.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    """Chromium binary: ``$CNIMODEL_CHROMIUM``, else ``chromium`` / ``chromium-browser`` on PATH."""
    env = os.environ.get("CNIMODEL_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for name in ("chromium", "chromium-browser"):
        p = shutil.which(name)
        if p:
            return p
    return None


def browser_available() -> tuple[bool, str]:
    """(True, "") when Playwright and Chromium are both there, else (False, why)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False, "the playwright Python package is not installed"
    if chromium_path() is None:
        return False, "chromium not found (apt-get install chromium, or set CNIMODEL_CHROMIUM)"
    return True, ""


class PlannerServer:
    """``cnimodel planner`` as a subprocess on a free localhost port.

    Parameters
    ----------
    params_file : str, optional
        Passed as ``--params``.
    timeout_s : float
        Seconds to wait for the URL line.
    """

    def __init__(self, params_file=None, timeout_s: float = 90.0, log_file=None):
        cmd = [sys.executable, "-m", "cnimodel", "planner", "--port", "0",
               "--timeout", str(timeout_s)]
        if params_file:
            cmd += ["--params", str(params_file)]
        self._log = open(log_file, "w") if log_file else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._log, text=True,
                                     start_new_session=True)
        self.url = None
        deadline = time.monotonic() + timeout_s
        while self.url is None:
            line = self.proc.stdout.readline()
            if not line:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise CnimodelError(f"cnimodel planner exited (status {self.proc.returncode}) "
                                        "before printing its URL")
                continue
            m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
            if m:
                self.url = m.group(1)

    def close(self):
        """Stop the server: SIGTERM to ``cnimodel planner`` (which stops Voila), then to
        whatever is left of the process group this object started."""
        import signal

        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)  # our own session (start_new_session)
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.stdout:
            self.proc.stdout.close()
        if self._log is not subprocess.DEVNULL:
            self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def launch_chromium(playwright, user_data_dir=None):
    """A headless Chromium context with a fresh profile directory (returns (context, dir))."""
    d = user_data_dir or tempfile.mkdtemp(prefix="cnimodel-chromium-")
    ctx = playwright.chromium.launch_persistent_context(
        d, executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS,
        viewport={"width": 1500, "height": 1250})
    return ctx, d


_INSTRUMENT = """() => {
  if (window.__cnimodel) return;
  const st = window.__cnimodel = {t0: null, seen: {}};
  const arm = (e) => {
    if (st.t0 !== null) return;
    if (e.type === 'keydown' && e.key !== 'Enter') return;
    if (e.type === 'click' && !(e.target.closest && e.target.closest('button'))) return;
    st.t0 = performance.now();
  };
  for (const ev of ['change', 'keydown', 'click']) document.addEventListener(ev, arm, true);
  const look = () => {
    const s = document.querySelector('.cnimodel-planner-status');
    if (!s) return;
    const v = +s.dataset.version;
    if (!(v in st.seen)) st.seen[v] = performance.now();
  };
  new MutationObserver(look).observe(document.body,
      {subtree: true, childList: true, attributes: true, characterData: true});
  look();
}"""

_READ = """() => {
  const out = {};
  for (const td of document.querySelectorAll('.cnimodel-planner-results td[data-metric]')) {
    const p = td.dataset.path, m = td.dataset.metric;
    (out[p] = out[p] || {})[m] = {value: td.dataset.value, text: td.textContent};
  }
  const s = document.querySelector('.cnimodel-planner-status');
  const r = document.querySelector('.cnimodel-planner-results');
  const c = document.querySelector('.cnimodel-planner-curve');
  const units = {};
  for (const tr of document.querySelectorAll('.cnimodel-planner-results tr[data-metric]'))
    units[tr.dataset.metric] = tr.querySelector('td.unit').textContent;
  return {cells: out, units,
          status: s ? {version: +s.dataset.version, kind: s.dataset.kind, text: s.textContent,
                       kernel_ms: s.dataset.kernelMs === '' ? null : +s.dataset.kernelMs} : null,
          table_version: r ? +r.dataset.version : null, curve_version: c ? +c.dataset.version : null,
          page_text: document.body.innerText};
}"""


class PlannerPage:
    """The planner app in one browser page: set controls, wait, read what is shown."""

    def __init__(self, page, url, timeout_s: float = 90.0):
        self.page = page
        page.goto(url, timeout=timeout_s * 1000)
        page.wait_for_selector(".cnimodel-planner-results", timeout=timeout_s * 1000)
        page.wait_for_selector(".cnimodel-planner-curve", timeout=timeout_s * 1000)
        page.evaluate(_INSTRUMENT)

    def version(self) -> int:
        return int(self.page.evaluate(
            "() => +document.querySelector('.cnimodel-planner-status').dataset.version"))

    def read(self) -> dict:
        """Cells ({path: {metric: {value, text}}}), units, status, versions, page text."""
        return self.page.evaluate(_READ)

    def _ctl(self, name):
        return self.page.locator(f".cnimodel-ctl-{name}")

    def value(self, name: str) -> str:
        """The text a control shows now (input value, selected option, readout, active button)."""
        ctl = self._ctl(name)
        cls = ctl.get_attribute("class") or ""
        if "widget-dropdown" in cls:
            return ctl.locator("select").evaluate("s => s.options[s.selectedIndex].text")
        if "widget-toggle-buttons" in cls:
            return ctl.locator("button.mod-active").inner_text().strip()
        if "widget-slider" in cls or "widget-hslider" in cls:
            return ctl.locator(".widget-readout").inner_text().strip()
        return ctl.locator("input").input_value()

    def change(self, name: str, value, timeout_s: float = 30.0) -> float:
        """Change one control as a user would; wait until drawn; return the round trip [s].

        Text fields: type and press Enter.  Dropdowns: select the option whose
        label is ``value``.  Sliders: type into the readout and press Enter.
        Toggle buttons: click the button labelled ``value``.
        """
        v0 = self.version()
        self.page.evaluate("() => { window.__cnimodel.t0 = null; }")
        ctl = self._ctl(name)
        cls = ctl.get_attribute("class") or ""
        if "widget-dropdown" in cls:
            ctl.locator("select").select_option(label=str(value))
        elif "widget-toggle-buttons" in cls:
            ctl.get_by_role("button", name=str(value), exact=True).click()
        elif "widget-slider" in cls or "widget-hslider" in cls:
            ro = ctl.locator(".widget-readout")
            ro.click()
            self.page.keyboard.press("ControlOrMeta+a")
            self.page.keyboard.type(str(value))
            ro.press("Enter")
        else:
            inp = ctl.locator("input")
            inp.fill(str(value))
            inp.press("Enter")
        from playwright.sync_api import TimeoutError as PwTimeout

        try:
            self.page.wait_for_function(
                "v => { const s = document.querySelector('.cnimodel-planner-status');"
                " return s && +s.dataset.version > v && (+s.dataset.version in window.__cnimodel.seen); }",
                arg=v0, timeout=timeout_s * 1000, polling=20)
        except PwTimeout:
            raise CnimodelError(f"planner page not redrawn within {timeout_s:g} s after setting "
                                f"{name}={value!r} (was it already that value?)") from None
        rt = self.page.evaluate(
            "v => { const c = window.__cnimodel; const vs = Object.keys(c.seen).map(Number)"
            ".filter(x => x > v).sort((a, b) => a - b); return [c.t0, c.seen[vs[0]]]; }", v0)
        t0, t1 = rt
        return (t1 - t0) / 1e3 if t0 is not None and t1 is not None else float("nan")

    def export(self, fmt: str = "json", timeout_s: float = 30.0) -> str:
        """Click the export button and return the exported scenario text."""
        import base64

        link = self.page.locator("a.cnimodel-planner-export")
        n0 = int(link.get_attribute("data-export")) if link.count() else 0
        self.page.get_by_role("button", name=f"export {fmt.upper()}").click()
        self.page.wait_for_function(
            "n => { const a = document.querySelector('a.cnimodel-planner-export');"
            " return a && +a.dataset.export > n; }", arg=n0, timeout=timeout_s * 1000, polling=20)
        href = link.get_attribute("href")
        return base64.b64decode(href.split(",", 1)[1]).decode()

    def screenshot(self, path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=True)
