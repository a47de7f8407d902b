"""`cnimodel overhead`: JSON and table output, one-line errors with exit status 2."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cnimodel.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "cnimodel", *args], capture_output=True, text=True)


def test_overlay_json_exact(capsys):
    assert main(["overhead", "--path", "overlay", "--mtu", "1500", "--link-gbps", "10", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["pod_mtu_bytes"] == 1450 and d["mss_bytes"] == 1398
    assert d["efficiency"] == pytest.approx(1398 / 1538)
    assert d["goodput_bps"] == pytest.approx(10e9 * 1398 / 1538)


def test_l2_accounting_and_ipv6(capsys):
    main(["overhead", "--path", "host", "--link-gbps", "2", "--accounting", "l2", "--json"])
    assert json.loads(capsys.readouterr().out)["goodput_bps"] == pytest.approx(2e9 * 1448 / 1514)
    main(["overhead", "--path", "overlay", "--ip", "6", "--json"])
    assert json.loads(capsys.readouterr().out)["pod_mtu_bytes"] == 1430


def test_human_table(capsys):
    assert main(["overhead", "--path", "overlay"]) == 0
    out = capsys.readouterr().out
    assert "pod MTU" in out and "1450 B" in out and "Gbit/s" in out


@pytest.mark.parametrize("args,needle", [
    (["overhead", "--path", "nowhere"], "path"),
    (["overhead", "--path", "overlay", "--mtu", "40"], "underlay_mtu_bytes"),
    (["overhead", "--path", "overlay", "--pod-mtu", "1500"], "pod MTU 1500"),
    (["overhead", "--path", "host", "--link-gbps", "0"], "link_rate_bps"),
    (["overhead", "--path", "host", "--encap", "gre"], "encap"),
    (["overhead", "--path", "host", "--ip", "5"], "--ip"),
    (["overhead"], "--path"),
    (["overhead", "--path", "host", "--mtu", "abc"], "--mtu"),
    (["nosuchcommand"], "invalid choice"),
])
def test_bad_arguments_one_line_exit_2(args, needle):
    p = run(*args)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert needle in lines[0] and "Traceback" not in p.stderr
