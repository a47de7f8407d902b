"""The planner server (issue 16): foreign Host headers refused, kernels of closed pages
culled, the number of kernels capped."""
from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


class _Server:
    def __init__(self, *extra):
        self.proc = subprocess.Popen([sys.executable, "-m", "cnimodel", "planner", "--port", "0",
                                      *extra], cwd=REPO, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        line = self.proc.stdout.readline()  # printed once Voila listens (or the process ends)
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, f"planner did not start: {line!r}"
        self.port = int(m.group(1))

    def get(self, host=None, timeout_s=240):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout_s)
        c.request("GET", "/", headers={"Host": host or f"127.0.0.1:{self.port}"})
        r = c.getresponse()
        r.read()
        c.close()
        return r.status

    def kernels(self) -> int:
        """Kernel processes: the children of the Voila process."""
        kids = {}
        for e in os.listdir("/proc"):
            if e.isdigit():
                try:
                    with open(f"/proc/{e}/stat", "rb") as fh:
                        f = fh.read().rsplit(b")", 1)[1].split()
                except OSError:
                    continue
                if f[0] != b"Z":
                    kids.setdefault(int(f[1]), []).append(int(e))
        voila = kids.get(self.proc.pid, [])
        return sum(len(kids.get(v, [])) for v in voila)

    def close(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def test_foreign_host_refused_and_kernels_capped():
    srv = _Server("--max-kernels", "2", "--cull-idle", "3600", "--allow-host", "planner.example")
    try:
        assert srv.get(f"evil.example.com:{srv.port}") == 403
        assert srv.get("evil.example.com") == 403
        assert srv.kernels() == 0  # a refused request starts no kernel
        assert srv.get(f"localhost:{srv.port}") == 200
        assert srv.get(f"planner.example:{srv.port}") == 200  # --allow-host, for a proxy
        assert srv.get() == 503  # a third page: over the cap
        assert srv.kernels() == 2
    finally:
        srv.close()


def test_kernels_of_closed_pages_are_culled():
    srv = _Server("--cull-idle", "2")
    try:
        assert srv.get() == 200
        assert srv.get() == 200
        deadline = time.monotonic() + 180
        while srv.kernels():
            assert time.monotonic() < deadline, "kernels of closed pages were never culled"
            time.sleep(0.5)
        assert srv.get() == 200  # and the server goes on serving
    finally:
        srv.close()
