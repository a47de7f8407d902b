"""Lab logic that needs no root: address range, names, plan, dataset.yaml, preflight messages."""
from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import sys

import pytest
import yaml

from cnimodel.errors import LabError, ParameterError
from cnimodel.lab import naming, preflight
from cnimodel.lab.manifest import condition_dataset_yaml, root_dataset_yaml
from cnimodel.lab.plan import (Condition, LabConfig, bench_specs, block_order, parse_rate,
                               plan_condition, rate_label)
from cnimodel.lab.runner import client_argv, estimate_seconds, server_argvs
from cnimodel.lab.topology import TbfShaper, Topology
from cnimodel.paths import PATH_NAMES

IP_RE = re.compile(r"^\d+\.\d+\.\d+\.\d+(/\d+)?$")


@pytest.mark.parametrize("addr", ["198.18.0.1", "198.19.255.254/24", "198.18.0.0/15", "198.18.10.2"])
def test_check_address_accepts_benchmark_range(addr):
    assert naming.check_address(addr) == addr


@pytest.mark.parametrize("addr", ["10.0.0.1", "172.16.0.1/24", "192.168.1.1", "198.20.0.1",
                                  "198.17.255.255", "198.18.0.1/14", "fd00::1", "not-an-ip"])
def test_check_address_rejects_everything_else(addr):
    with pytest.raises(LabError):
        naming.check_address(addr)


def test_prefix_names():
    p = naming.new_prefix()
    assert naming.PREFIX_RE.match(p) and len(p) == 10
    assert naming.prefix_of(p + "n1") == p
    for other in ("eth0", "cnimodel-probe", "cnmXYZ123-n1", "docker0", "cnm12345-n1"):
        assert not naming.is_lab_name(other)
    with pytest.raises(LabError):
        naming.check_ifname(p + "toolong")
    with pytest.raises(LabError):
        naming.check_ifname("eth0")


def _topologies():
    for mtu in (1500, 9000):
        for shaper in (None, TbfShaper(2e9)):
            for kind in ("macvlan", "ipvlan"):
                yield Topology("cnmabcdef-", mtu, shaper, PATH_NAMES, kind)


def test_every_configured_address_is_in_198_18_slash_15():
    lab_net = ipaddress.ip_network("198.18.0.0/15")
    for topo in _topologies():
        seen = 0
        for argv in topo.build_commands():
            for tok in argv:
                if IP_RE.match(tok):
                    assert ipaddress.ip_interface(tok).ip in lab_net, (tok, argv)
                    seen += 1
        assert seen > 10
        for ep in topo.endpoints().values():
            assert ipaddress.ip_address(ep.server_addr) in lab_net


def test_commands_touch_only_lab_namespaces_and_devices():
    """Every `ip -n NS` and `ip netns exec NS` names a lab namespace; every device a lab device."""
    for topo in _topologies():
        nss = set(topo.namespaces())
        for argv in topo.build_commands():
            if argv[:2] == ["ip", "-n"]:
                assert argv[2] in nss
            if argv[:3] == ["ip", "netns", "exec"]:
                assert argv[3] in nss
            for key in ("dev", "link", "master", "name", "peer"):
                for i, tok in enumerate(argv[:-1]):
                    if tok == key and argv[i + 1] not in ("add", "set", "name"):
                        dev = argv[i + 1]
                        assert dev == "lo" or (naming.is_lab_name(dev) and len(dev) <= 15), argv
            if "netns" in argv and argv[:2] != ["ip", "netns"]:
                assert argv[argv.index("netns") + 1] in nss


def test_topology_endpoints_and_mtus():
    t = Topology("cnmabcdef-", 9000, None, PATH_NAMES, "macvlan")
    eps = t.endpoints()
    assert set(eps) == set(PATH_NAMES)
    assert eps["overlay"].pod_mtu_bytes == 8950
    assert all(eps[p].pod_mtu_bytes == 9000 for p in ("host", "bridge", "routing", "underlay"))
    assert len({e.server_ns for e in eps.values()}) == 5     # one server namespace per path
    with pytest.raises(LabError):
        Topology("cnmabcdef-", 1500, None, PATH_NAMES, "sriov")


def test_shaper_command_and_description():
    s = TbfShaper(2e9)
    argv = s.tc_args("cnmabcdef-w1")
    assert argv[:6] == ["tc", "qdisc", "add", "dev", "cnmabcdef-w1", "root"]
    assert "2000000000bit" in argv
    assert s.describe()["burst_bytes"] == 1 << 20


@pytest.mark.parametrize("text,value", [("2g", 2e9), ("2G", 2e9), ("2gbit", 2e9), ("500m", 5e8),
                                        ("2e9", 2e9), ("none", None), ("unshaped", None)])
def test_parse_rate(text, value):
    assert parse_rate(text) == value


def test_parse_rate_rejects_garbage():
    for bad in ("fast", "-1g", "2 gigs"):
        with pytest.raises(ParameterError):
            parse_rate(bad)
    assert rate_label(2e9) == "2g" and rate_label(None) == "unshaped" and rate_label(5e8) == "500m"


def test_blocks_interleave_conditions_within_each_repetition():
    cfg = LabConfig(repeat=3)
    blocks = block_order(cfg)
    conds = cfg.conditions()
    assert len(conds) == 4 and len(blocks) == 3 * len(conds)
    assert [r for r, _ in blocks] == sorted(r for r, _ in blocks)     # repetition-major
    for rep in (1, 2, 3):
        assert [c for r, c in blocks if r == rep] == conds           # every condition once


def test_plan_interleaves_paths_and_rotates_order():
    cfg = LabConfig(repeat=3)
    cond = cfg.conditions()[0]
    tasks = plan_condition(cfg, cond)
    n_tests = len(bench_specs(cfg))
    assert len(tasks) == 3 * n_tests * len(PATH_NAMES)
    files = {(t.path, t.test.filename(t.repetition)) for t in tasks}
    assert len(files) == len(tasks)                     # one file per task
    firsts = set()
    for k in range(0, len(tasks), len(PATH_NAMES)):      # each block: one test, every path once
        block = tasks[k:k + len(PATH_NAMES)]
        assert {t.path for t in block} == set(PATH_NAMES)
        assert len({(t.test.stem, t.repetition) for t in block}) == 1
        firsts.add(block[0].path)
    assert firsts == set(PATH_NAMES)                    # no path is always first


def test_default_plan_covers_the_issue_matrix():
    cfg = LabConfig()
    assert [c.name for c in cfg.conditions()] == ["mtu1500-2g", "mtu1500-unshaped",
                                                  "mtu9000-2g", "mtu9000-unshaped"]
    stems = [t.stem for t in bench_specs(cfg)]
    for s in ("iperf3-tcp-p1", "iperf3-tcp-p4", "iperf3-tcp-p1-reverse", "iperf3-udp-p1",
              "netperf-tcp_crr-m1", "netperf-udp_rr-m1", "netperf-tcp_stream"):
        assert s in stems
    assert sum(s.startswith("netperf-tcp_rr-") for s in stems) >= 4   # leave-one-size-out CV
    assert cfg.repeat >= 3
    assert estimate_seconds(cfg) < 15 * 60
    assert estimate_seconds(LabConfig.quick_defaults()) < 2 * 60
    for t in bench_specs(cfg):
        if t.tool == "iperf3" and "-u" not in t.args:
            assert "--omit" in t.args


def test_quick_defaults_can_be_overridden():
    cfg = LabConfig.quick_defaults(wire_mtus=(9000,), repeat=2)
    assert cfg.quick and cfg.wire_mtus == (9000,) and cfg.repeat == 2
    cfg.validate()


@pytest.mark.parametrize("over", [dict(paths=("bridge",)), dict(paths=("host", "nope")),
                                  dict(repeat=0), dict(wire_mtus=(100,)), dict(msg_sizes=(0,)),
                                  dict(udp_rr_sizes=(1430,))])
def test_config_validation(over):
    with pytest.raises(ParameterError):
        LabConfig(**over).validate()


def test_commands_are_pinned_and_use_omni_output():
    topo = Topology("cnmabcdef-", 1500, None, PATH_NAMES, "macvlan")
    ep = topo.endpoints()["overlay"]
    cfg = LabConfig()
    for t in bench_specs(cfg):
        argv = client_argv(t, ep, (0, 1))
        assert argv[:4] == ["ip", "netns", "exec", ep.client_ns]
        assert argv[argv.index("taskset") + 1:argv.index("taskset") + 3] == ["-c", "0"]
        if t.tool == "netperf":
            assert argv[-2] == "-o" and "P99_LATENCY" in argv[-1]
            assert argv.index("--") < argv.index("-o")
        elif "-u" in t.args:
            assert argv[-2:] == ["-l", "1422"]            # one datagram per 1450-byte packet
        else:
            assert "-J" in argv
    for argv, _port in server_argvs(ep, (0, 1)).values():
        assert argv[3] == ep.server_ns and argv[argv.index("taskset") + 2] == "1"


def test_dataset_yaml_layout():
    cond = Condition(1500, 2e9)
    topo = Topology("cnmabcdef-", 1500, TbfShaper(2e9), PATH_NAMES, "macvlan")
    d = condition_dataset_yaml(cond, topo.describe(), repeat=3)
    assert d["labels"] == {"condition": "mtu1500-2g", "underlay_mtu_bytes": 1500,
                           "link_rate_bps": 2e9, "shaped": True, "underlay_kind": "macvlan",
                           "wire_kind": "veth"}
    globs = {f["glob"]: f["labels"] for f in d["files"]}
    assert globs["overlay/*"] == {"encap": "vxlan", "pod_mtu_bytes": 1450}
    assert globs["*/*-r3.*"] == {"repetition": 3, "session": "mtu1500-2g-r3"}
    assert "*.stderr" in d["ignore"]
    un = condition_dataset_yaml(Condition(9000, None), topo.describe(), repeat=1)
    assert un["labels"]["link_rate_bps"] is None and un["labels"]["shaped"] is False
    yaml.safe_load(yaml.safe_dump(d))
    assert root_dataset_yaml("macvlan")["labels"] == {"underlay_kind": "macvlan"}


def test_preflight_without_root_names_root(monkeypatch):
    monkeypatch.setattr(preflight.os, "geteuid", lambda: 1000)
    with pytest.raises(LabError, match="needs root"):
        preflight.preflight("cnmabcdef-", PATH_NAMES, True)


def test_preflight_missing_tools_names_them_with_install_commands(monkeypatch):
    monkeypatch.setattr(preflight.os, "geteuid", lambda: 0)
    monkeypatch.setattr(preflight.shutil, "which",
                        lambda t: None if t in ("netperf", "netserver", "iperf3") else "/bin/" + t)
    probed = []
    monkeypatch.setattr(preflight, "probe_kernel", lambda *a, **k: probed.append(1))
    with pytest.raises(LabError) as exc:
        preflight.preflight("cnmabcdef-", PATH_NAMES, True)
    msg = str(exc.value)
    assert "netperf" in msg and "non-free" in msg and "apt-get install netperf" in msg
    assert "apt-get install iperf3" in msg
    assert not probed                                   # stops before probing / building


def test_preflight_missing_kernel_feature(monkeypatch):
    monkeypatch.setattr(preflight.os, "geteuid", lambda: 0)
    monkeypatch.setattr(preflight.shutil, "which", lambda t: "/bin/" + t)
    feats = {k: True for k in preflight.KERNEL_FEATURES}
    feats.update(vxlan=False, ipvlan=False)
    monkeypatch.setattr(preflight, "probe_kernel", lambda *a, **k: dict(feats))
    with pytest.raises(LabError, match="vxlan.*modprobe vxlan"):
        preflight.preflight("cnmabcdef-", PATH_NAMES, False)
    got = preflight.preflight("cnmabcdef-", ("host", "underlay"), False)
    assert got["underlay_kind"] == "macvlan"           # ipvlan missing -> macvlan
    feats["ipvlan"] = True
    assert preflight.preflight("cnmabcdef-", ("host", "underlay"), False)["underlay_kind"] == "ipvlan"


def test_run_lab_without_root_builds_nothing(monkeypatch, tmp_path):
    from cnimodel.lab import runner

    monkeypatch.setattr(preflight.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(runner, "RunGuard", lambda *a, **k: pytest.fail("built something"))
    with pytest.raises(LabError, match="root"):
        runner.run_lab(LabConfig.quick_defaults(), tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_cli_dry_run_and_help():
    r = subprocess.run([sys.executable, "-m", "cnimodel", "lab", "run", "--out", "/nonexistent/x",
                        "--dry-run", "--quick"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "mtu1500-2g" in r.stderr and "netperf-tcp_rr-m1" in r.stderr
    r = subprocess.run([sys.executable, "-m", "cnimodel", "lab", "--help"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and "clean" in r.stdout
    r = subprocess.run([sys.executable, "-m", "cnimodel", "lab", "run", "--out", "x", "--rate",
                        "fast", "--dry-run"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "rate" in r.stderr


def test_keep_awake_loops_are_idle_priority_and_end_with_the_run():
    from cnimodel.lab.runner import keep_awake_argvs

    argvs = keep_awake_argvs((0, 1))
    assert len(argvs) == 2
    for cpu, argv in zip((0, 1), argvs):
        assert argv[:3] == ["chrt", "-i", "0"] and argv[3:5] == ["taskset", "-c"]
        assert argv[5] == str(cpu)
        assert f"kill -0 {os.getpid()}" in argv[-1]
    assert len(keep_awake_argvs((0, 0))) == 1
