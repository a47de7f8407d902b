"""CLI error paths (issue 16): every read/write failure is one line and a non-zero status;
no input is silently replaced."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "cnimodel", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("args, expect", [
    (("fit", "data", "--out", "/nonexistent/x.json"), "/nonexistent/x.json"),
    (("read", "tests/data/io/netperf/tcp_rr-v2.txt", "--out", "/nonexistent/x.csv"), "/nonexistent"),
    (("report", "data", "--out", "/etc/passwd"), "/etc/passwd"),
    (("fit", "{empty}"), "expected a tidy csv table"),
    (("overhead", "--path", "overlay", "--encap", ""), "argument --encap: empty encapsulation"),
    (("overhead", "--path", "overlay", "--encap", "vxlann"), "argument --encap: unknown"),
    (("predict", "--path", "overlay", "--load", "nan"), "argument --load"),
    (("predict", "--path", "overlay", "--test", "rr", "--loss", "NaN"), "argument --loss"),
    (("predict", "--path", "overlay", "--test", "rr", "--msg-size", "nan"), "argument --msg-size"),
    (("read", "tests/data", "--max-bytes", "0"), "argument --max-bytes"),
])
def test_one_line_error(tmp_path, args, expect):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    r = _cli(*[a.replace("{empty}", str(empty)) for a in args])
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and expect in lines[0] and "Traceback" not in r.stderr, r.stderr


def test_read_fifo_and_caps_from_cli(tmp_path):
    import gzip
    import os

    d = tmp_path / "DS" / "host"
    d.mkdir(parents=True)
    os.mkfifo(d / "p.json")
    (d / "b.json.gz").write_bytes(gzip.compress(b"{" + b" " * (8 << 20)))
    (d / "ok.txt").write_text("THROUGHPUT=20000\nTHROUGHPUT_UNITS=Trans/s\n")
    r = _cli("read", str(tmp_path / "DS"), "--max-decompressed-bytes", "1M")
    assert r.returncode == 0, r.stderr
    assert "named pipe" in r.stderr and "max_decompressed_bytes" in r.stderr
    assert len(r.stdout.strip().splitlines()) == 2  # header + one row
