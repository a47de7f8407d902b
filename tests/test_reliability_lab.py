"""Lab cleanup under hostile signals (issue 16): repeated SIGINT leaves nothing; `lab clean`
also removes the staging directory of a killed run.  Needs root and netns (run under
``flock /tmp/cnimodel-lab.lock``)."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from cnimodel.lab.cleanup import lab_namespaces
from conftest import default_signals, require
from test_lab import _lab_cmd, _lab_ready, _wait_for_servers

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]


def test_repeated_sigint_leaves_no_namespace(tmp_path):
    ok, reason = _lab_ready()
    require("lab", ok, reason)
    before = set(lab_namespaces())
    out = tmp_path / "out"
    proc = subprocess.Popen(_lab_cmd("run", "--quick", "--out", str(out)),  # progress bar thread on
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=default_signals)   # Ctrl-C as from a terminal
    try:
        prefix, _ = _wait_for_servers(before)
        for _ in range(20):  # the hostile case of the issue: 20 signals 25 ms apart
            if proc.poll() is not None:
                break
            proc.send_signal(signal.SIGINT)
            time.sleep(0.025)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    left = [n for n in lab_namespaces() if n.startswith(prefix)]
    assert not left, (left, err[-3000:])
    assert proc.returncode == 130, err[-2000:]
    assert not out.exists() or not list(out.iterdir())


def test_clean_removes_staging_of_a_killed_run(tmp_path):
    ok, reason = _lab_ready()
    require("lab", ok, reason)
    before = set(lab_namespaces())
    out = tmp_path / "out"
    proc = subprocess.Popen(_lab_cmd("run", "--quick", "--out", str(out), "--no-progress"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        prefix, _ = _wait_for_servers(before)
        staging = out / f".partial-{prefix[:-1]}"
        deadline = time.monotonic() + 120
        while not staging.is_dir():
            assert time.monotonic() < deadline, "staging directory never appeared"
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    r = subprocess.run(_lab_cmd("clean"), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"removed staging directory {staging.resolve()}" in r.stdout
    assert not staging.exists()
    assert not [n for n in lab_namespaces() if n.startswith(prefix)]
