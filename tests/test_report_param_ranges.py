"""Issue 16 point 4 remainder: notebook parameter values outside their declared ranges
(cnimodel/report/params.py PARAMETER_RANGES, checked through cnimodel.validation) are a
one-line error before any run starts, never a numpy traceback from inside the notebook."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cnimodel.errors import ParameterError
from cnimodel.report.params import PARAMETER_RANGES, check_ranges, parameter_sets

REPO = Path(__file__).resolve().parents[1]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "cnimodel", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("assignment, expect", [
    ("n_boot=0", "invalid n_boot=0: allowed a whole number 1..10000000"),
    ("n_boot=-5", "invalid n_boot=-5"),
    ("n_boot=2.5", "invalid n_boot=2.5"),
    ("seed=-1", "invalid seed=-1: allowed a whole number 0..4294967295"),
    ("seed=4294967296", "invalid seed=4294967296"),
    ("confidence=1", "invalid confidence=1: allowed a finite number 0 < value < 1"),
    ("confidence=nan", "invalid confidence=nan"),
    ("test=ttest", "invalid test='ttest': allowed one of 'welch-t', 'mannwhitney', 'permutation'"),
])
def test_out_of_range_parameters_are_refused(assignment, expect):
    with pytest.raises(ParameterError) as ei:
        parameter_sets(None, [assignment])
    assert expect in str(ei.value)


@pytest.mark.parametrize("assignment, expect", [
    ("n_boot=0", "cnimodel report: error: invalid n_boot=0: allowed a whole number 1..10000000"),
    ("seed=-1", "cnimodel report: error: invalid seed=-1: allowed a whole number 0..4294967295"),
])
def test_cli_refuses_out_of_range_parameters_in_one_line(tmp_path, assignment, expect):
    out = tmp_path / "rep"
    r = _cli("report", "data", "--out", str(out), "-p", assignment)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip() == expect  # one line, no traceback
    assert not out.exists()  # refused before anything ran or was written


def test_parameter_file_sets_are_checked_and_named(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("grid:\n  n_boot: [100, 0]\n")
    with pytest.raises(ParameterError, match=r"invalid n_boot \(parameter set 2\)=0"):
        parameter_sets(f)
    f.write_text("parameters:\n  underlay_mtus_bytes: [1500, 40]\n")
    with pytest.raises(ParameterError, match="underlay_mtus_bytes=40: allowed a whole number 68..65535"):
        parameter_sets(f)


def test_in_range_none_and_raw_values_pass():
    sets = parameter_sets(None, ["n_boot=1", "seed=0", "confidence=0.5", "include_paths=null"],
                          ["test=whatever"])  # -r: a literal string, exempt (as from type checks)
    assert sets[0]["n_boot"] == 1
    check_ranges({"seed": None, "quantile": "p99", "ip_version": 6, "link_rate_bps": 1e9})


def test_every_declared_range_names_a_notebook_parameter():
    import json

    names = set()
    for nb in (REPO / "notebooks").glob("*.ipynb"):
        for c in json.loads(nb.read_text())["cells"]:
            if "parameters" in c.get("metadata", {}).get("tags", []):
                names |= {ln.split("=")[0].strip() for ln in c["source"] if "=" in ln
                          and not ln.lstrip().startswith("#")}
    assert set(PARAMETER_RANGES) <= names
