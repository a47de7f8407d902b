"""``cnimodel lab run --netfilter-rules N``: forward-hook rules in node n1 (lab/netfilter.py).

The unit tests need no root; ``test_netfilter_rules_condition`` runs a small lab (root, nft).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from cnimodel.errors import LabError, ParameterError
from cnimodel.lab import netfilter as nft
from cnimodel.lab import preflight
from cnimodel.lab.cleanup import lab_namespaces
from cnimodel.lab.manifest import condition_dataset_yaml
from cnimodel.lab.plan import Condition, LabConfig
from cnimodel.lab.topology import TbfShaper, Topology
from cnimodel.paths import PATH_NAMES

from conftest import require


def test_conditions_carry_the_rule_count_in_their_names():
    cfg = LabConfig(wire_mtus=(1500,), rates=(2e9, None), netfilter_rules=(0, 1000, 3000))
    cfg.validate()
    assert [c.name for c in cfg.conditions()] == [
        "mtu1500-2g", "mtu1500-2g-nft1000", "mtu1500-2g-nft3000",
        "mtu1500-unshaped", "mtu1500-unshaped-nft1000", "mtu1500-unshaped-nft3000"]
    assert LabConfig().conditions()[0] == Condition(1500, 2e9, 0)   # default: no rules


@pytest.mark.parametrize("rules", [(-1,), (1.5,), (nft.MAX_RULES + 1,), (10, 10), ()])
def test_rule_counts_are_validated(rules):
    with pytest.raises(ParameterError):
        LabConfig(netfilter_rules=rules).validate()


def test_ruleset_text():
    text = nft.ruleset(3)
    lines = text.splitlines()
    assert lines[0] == "table inet cnimodel {" and "hook forward" in lines[2]
    assert "policy accept" in lines[2]
    body = [ln.strip() for ln in lines[3:-2]]
    assert body == ["ip daddr 198.19.0.0 tcp dport 80 drop", "ip daddr 198.19.0.1 tcp dport 80 drop",
                    "ip daddr 198.19.0.2 tcp dport 80 drop", 'counter comment "walked all rules"']
    last = nft.ruleset(nft.MAX_RULES).splitlines()[-4].strip()
    assert last == "ip daddr 198.19.255.255 tcp dport 80 drop"
    with pytest.raises(LabError):
        nft.ruleset(nft.MAX_RULES + 1)


def test_rules_per_crossing_charges_each_path_the_rules_it_walks():
    got = nft.rules_per_crossing(3000)
    assert got == {"host": 0.0, "bridge": 3000.0, "overlay": 1500.0, "routing": 1500.0,
                   "underlay": 0.0}
    # x the path's netfilter hops = the rules one packet walks per direction
    from cnimodel.paths import get_path
    for p, per in got.items():
        assert per * get_path(p).hops.count("netfilter") == 3000 * nft.FORWARD_CROSSINGS[p]


def test_dataset_yaml_labels_the_rules():
    topo = Topology("cnmabcdef-", 1500, TbfShaper(2e9), PATH_NAMES, "macvlan")
    d = condition_dataset_yaml(Condition(1500, 2e9, 2000), topo.describe(), repeat=1)
    assert d["labels"]["condition"] == "mtu1500-2g-nft2000"
    assert d["labels"]["nft_forward_rules"] == 2000
    per = {f["glob"]: f["labels"].get("netfilter_rules") for f in d["files"]}
    assert per["routing/*"] == 1000.0 and per["host/*"] == 0.0 and per["bridge/*"] == 2000.0
    zero = condition_dataset_yaml(Condition(1500, 2e9, 0), topo.describe(), 1, label_rules=True)
    assert zero["labels"]["nft_forward_rules"] == 0
    assert {f["labels"].get("netfilter_rules") for f in zero["files"] if "/*" in f["glob"]
            and not f["glob"].startswith("*")} == {0.0}
    plain = condition_dataset_yaml(Condition(1500, 2e9, 0), topo.describe(), 1)
    assert "nft_forward_rules" not in plain["labels"]
    yaml.safe_load(yaml.safe_dump(d))


def test_preflight_names_missing_nft(monkeypatch):
    monkeypatch.setattr(preflight.os, "geteuid", lambda: 0)
    monkeypatch.setattr(preflight.shutil, "which", lambda t: None if t == "nft" else "/bin/" + t)
    feats = {k: True for k in preflight.KERNEL_FEATURES}
    monkeypatch.setattr(preflight, "probe_kernel", lambda *a, **k: dict(feats))
    preflight.preflight("cnmabcdef-", PATH_NAMES, True)              # no rules: nft not needed
    with pytest.raises(LabError) as exc:
        preflight.preflight("cnmabcdef-", PATH_NAMES, True, netfilter=True)
    assert "nft: apt-get install nftables" in str(exc.value)
    monkeypatch.setattr(preflight.shutil, "which", lambda t: "/bin/" + t)
    feats["nftables"] = False
    with pytest.raises(LabError, match="nftables.*CONFIG_NF_TABLES"):
        preflight.preflight("cnmabcdef-", PATH_NAMES, True, netfilter=True)


def test_cli_dry_run_lists_rule_conditions():
    r = subprocess.run([sys.executable, "-m", "cnimodel", "lab", "run", "--out", "/nonexistent/x",
                        "--dry-run", "--quick", "--netfilter-rules", "0", "2000"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "mtu1500-2g, mtu1500-2g-nft2000" in r.stderr
    r = subprocess.run([sys.executable, "-m", "cnimodel", "lab", "run", "--out", "x", "--dry-run",
                        "--netfilter-rules", "-5"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "netfilter_rules" in r.stderr


@pytest.mark.lab
@pytest.mark.xdist_group("lab")
def test_netfilter_rules_condition(tmp_path):
    """A quick run with 300 rules: the table is loaded in n1 only, the counter shows which
    paths walk the forward hook (FORWARD_CROSSINGS), the rows carry the labels, and nothing
    is left behind."""
    if os.geteuid() != 0:
        require("lab", False, "lab tests need root")
    if shutil.which("nft") is None or shutil.which("netperf") is None:
        require("lab", False, "lab tests need nft and netperf (run `make lab-deps`)")
    from cnimodel.io import load_dataset

    before = set(lab_namespaces())
    out = tmp_path / "nft"
    r = subprocess.run([sys.executable, "-m", "cnimodel", "lab", "run", "--quick", "--no-progress",
                        "--netfilter-rules", "300", "--out", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert set(lab_namespaces()) - before == set()
    m = json.loads((out / "manifest.json").read_text())
    assert m["condition"] == "mtu1500-2g-nft300" and m["netfilter"]["rules"] == 300
    assert m["netfilter"]["namespace"].endswith("-n1") and "nft" in m["tools"]
    assert m["build_commands"][-1].endswith("nft -f <ruleset>")
    rr = {f["path"]: f for f in m["files"] if f["test"] == "netperf-tcp_rr-m1"}
    n = m["plan"]["rr_transactions"]
    for path, k in nft.FORWARD_CROSSINGS.items():
        got = rr[path]["nft_forward"]["packets"]
        if k:      # request and response each walk the rules once
            assert got >= 2 * n, (path, got)
        else:
            assert got < 0.05 * n, (path, got)
    df, _ = load_dataset(out)
    per = df.groupby("path")["netfilter_rules"].unique().to_dict()
    assert {p: list(v) for p, v in per.items()} == {
        p: [v] for p, v in nft.rules_per_crossing(300).items()}
    assert set(df["nft_forward_rules"]) == {300}
