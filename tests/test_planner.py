"""Capacity planner without a browser: the model of the view, rendering, widget layer, CLI."""
from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
import urllib.request

import numpy as np
import pandas as pd
import pytest

from cnimodel import capacity, latency, overhead
from cnimodel.errors import CnimodelError
from cnimodel.params import ModelParams
from cnimodel.paths import PATH_NAMES
from cnimodel.predict import predict
from cnimodel.widgets import render
from cnimodel.widgets.model import METRICS, PlannerInputs, PlannerModel, compute, format_value

from conftest import REPO

PATHS = list(PATH_NAMES)


@pytest.fixture(scope="module")
def base():
    return compute(PlannerInputs())


# ----------------------------------------------------------------- the numbers
def test_table_has_every_path_and_metric(base):
    assert list(base.table.index) == PATHS == ["host", "bridge", "overlay", "routing", "underlay"]
    for col, _label, _unit in METRICS:
        assert col in base.table.columns
    num = base.table.drop(columns=["encap", "bound", "mtu_misconfigured", "saturated"])
    # every number is known at the defaults except the byte-model bound of the same-node path
    assert num.drop(columns=["goodput_bound_bps", "addresses_per_node"]).notna().all().all()
    # no per-node pod CIDR on the host network and on the underlay (pods take subnet addresses)
    assert base.table["addresses_per_node"].isna().tolist() == [True, False, False, False, True]
    assert math.isnan(base.table.loc["bridge", "goodput_bound_bps"])
    assert not base.warnings


def test_numbers_equal_direct_library_calls(base):
    i = base.inputs
    t = base.table
    enc = ["none", "none", "vxlan", "none", "none"]
    rate = [i.link_rate_bps, np.inf, i.link_rate_bps, i.link_rate_bps, i.link_rate_bps]
    b = overhead.summarize(path=PATHS, encap=enc, underlay_mtu_bytes=i.underlay_mtu_bytes,
                           link_rate_bps=i.link_rate_bps)
    assert t.loc["overlay", "goodput_bound_bps"] == b["goodput_bps"][2]
    assert t.loc["overlay", "goodput_bound_bps"] == pytest.approx(10e9 * 1398 / 1538)
    s = predict(path=PATHS, encap=enc, link_rate_bps=rate, test="stream", streams=i.streams,
                cores=i.cores, msg_size_bytes=i.msg_size_bytes, underlay_mtu_bytes=i.underlay_mtu_bytes)
    np.testing.assert_allclose(t["throughput_bps"], s["throughput_bps"], rtol=1e-12)
    assert t["bound"].tolist() == s["bound"].astype(str).tolist()
    offered = i.pods_per_node * i.load_per_pod_bps
    rho = offered / s["throughput_bps"].to_numpy()
    np.testing.assert_allclose(t["utilisation"], rho, rtol=1e-12)
    rr = predict(path=PATHS, encap=enc, link_rate_bps=rate, test="rr", load=rho,
                 msg_size_bytes=i.msg_size_bytes, underlay_mtu_bytes=i.underlay_mtu_bytes)
    np.testing.assert_allclose(t["latency_p99_s"], rr["latency_p99_s"], rtol=1e-12)
    np.testing.assert_allclose(t["latency_mean_s"], rr["latency_mean_s"], rtol=1e-12)
    rho_max = latency.saturation_load(path=PATHS, encap=enc, link_rate_bps=rate,
                                      target_s=i.latency_target_p99_s, quantile=0.99,
                                      msg_size_bytes=i.msg_size_bytes)
    np.testing.assert_allclose(t["max_utilisation"], rho_max, rtol=1e-12)
    pods = capacity.max_pods_per_node(s["throughput_bps"].to_numpy(), i.load_per_pod_bps, rho_max)
    assert t["max_pods_per_node"].tolist() == pods.tolist()
    assert t["nodes_needed"].tolist() == capacity.nodes_needed(i.total_demand_bps, i.load_per_pod_bps,
                                                               pods).tolist()
    np.testing.assert_allclose(t["cpu_cores_used"], s["cpu_cores_used"] * rho, rtol=1e-12)


def test_max_pods_is_the_largest_meeting_the_target(base):
    """At max_pods the p99 meets the target; one pod more misses it (checked with predict)."""
    i = base.inputs
    t = base.table
    for p in PATHS:
        n = t.loc[p, "max_pods_per_node"]
        cap = t.loc[p, "throughput_bps"]
        rate = np.inf if p == "bridge" else i.link_rate_bps
        rhos = np.array([n, n + 1]) * i.load_per_pod_bps / cap
        ok = rhos < 1
        lat = predict(path=p, encap=t.loc[p, "encap"], link_rate_bps=rate, test="rr",
                      load=np.where(ok, rhos, 0.0), msg_size_bytes=i.msg_size_bytes)["latency_p99_s"]
        assert lat.iloc[0] <= i.latency_target_p99_s * (1 + 1e-9)
        assert (not ok[1]) or lat.iloc[1] > i.latency_target_p99_s


def test_expected_orderings(base):
    t = base.table
    assert t.loc["overlay", "throughput_bps"] < t.loc["host", "throughput_bps"]
    # robust order of added latency: host <= underlay < routing < overlay (Zhuo et al. 2019 in docs/sources.md; the lab's request/response order in data/)
    zero = compute(PlannerInputs(pods_per_node=1, load_per_pod_bps=1e3)).table["latency_mean_s"]
    assert zero["host"] <= zero["underlay"] < zero["routing"] < zero["overlay"]
    assert t.loc["overlay", "max_pods_per_node"] <= t.loc["host", "max_pods_per_node"]


def test_demand_and_node_sizing():
    d = compute(PlannerInputs(sizing="demand", total_demand_bps=40e9, load_per_pod_bps=100e6)).table
    assert (d["nodes_needed"] == np.ceil(400 / d["max_pods_per_node"])).all()
    n = compute(PlannerInputs(sizing="nodes", node_count=7, pods_per_node=30, load_per_pod_bps=100e6))
    t = n.table
    assert (t["nodes_needed"] == np.ceil(7 * 30 / t["max_pods_per_node"])).all()
    assert (t["max_demand_bps"] == 7 * t["max_pods_per_node"] * 100e6).all()


# ----------------------------------------------------------------- warnings and errors
def test_mtu_misconfiguration_is_flagged_not_computed():
    r = compute(PlannerInputs(pod_mtu_bytes=1500))
    t = r.table
    assert t.loc["overlay", "mtu_misconfigured"] and not t.loc["routing", "mtu_misconfigured"]
    assert t.loc["overlay", "bound"] == "MTU"
    assert np.isnan(t.loc["overlay", ["throughput_bps", "latency_p99_s", "max_pods_per_node"]].astype(float)).all()
    assert any(w.startswith("overlay: MTU misconfiguration") and "1450 B" in w for w in r.warnings)
    ok = compute(PlannerInputs(pod_mtu_bytes=1450)).table
    assert not ok["mtu_misconfigured"].any()


def test_saturation_warns_and_keeps_the_rest():
    r = compute(PlannerInputs(pods_per_node=100, load_per_pod_bps=200e6))   # 20 Gbit/s on 10 GbE
    t = r.table
    wire = ["host", "overlay", "routing", "underlay"]
    assert t.loc[wire, "saturated"].all() and not t.loc["bridge", "saturated"]
    assert np.isinf(t.loc[wire, "latency_p99_s"].astype(float)).all()
    assert t.loc[wire, "max_pods_per_node"].notna().all()
    assert sum("saturated" in w for w in r.warnings) == 4
    assert format_value("latency_p99_s", t.loc["host", "latency_p99_s"]) == "saturated"


@pytest.mark.parametrize("changes, name", [
    ({"underlay_mtu_bytes": 40}, "underlay_mtu_bytes"),
    ({"ip_version": 6, "underlay_mtu_bytes": 1200}, "underlay_mtu_bytes"),
    ({"underlay_mtu_bytes": 1500.5}, "underlay_mtu_bytes"),
    ({"load_per_pod_bps": 0}, "load_per_pod_bps"),
    ({"link_rate_bps": -1e9}, "link_rate_bps"),
    ({"latency_target_p99_s": 0}, "latency_target_p99_s"),
    ({"pods_per_node": 2.5}, "pods_per_node"),
    ({"streams": 0}, "streams"),
    ({"msg_size_bytes": 0}, "msg_size_bytes"),
    ({"pod_mtu_bytes": 50}, "pod_mtu_bytes"),
    ({"params_file": "/nonexistent/params.json"}, "params_file"),
    ({"overlay_encap": "gre"}, "encap"),
])
def test_out_of_range_keeps_last_valid_result(changes, name):
    m = PlannerModel()
    good = m.result
    v = m.version
    assert m.update(**changes) is False
    assert m.status_kind == "error"
    assert name in m.status and "\n" not in m.status
    assert m.result is good and m.version == v + 1
    assert m.update(PlannerInputs()) is True and m.status_kind == "ok"


def test_bad_params_file_is_a_message(tmp_path):
    f = tmp_path / "p.json"
    f.write_text("{not json")
    m = PlannerModel()
    assert not m.update(params_file=str(f)) and "params" in m.status
    f.write_text(json.dumps({"no_such_parameter": 1}))
    assert not m.update(params_file=str(f)) and "no_such_parameter" in m.status


def test_params_file_is_used(tmp_path):
    f = tmp_path / "p.json"
    ModelParams().replace(base_rtt_s=50e-6).save(f)
    a = compute(PlannerInputs()).table
    b = compute(PlannerInputs(params_file=str(f))).table
    assert (b["latency_mean_s"] > a["latency_mean_s"] + 40e-6).all()
    assert (b["max_pods_per_node"] <= a["max_pods_per_node"]).all()


def test_cpu_clock_scaling():
    slow = PlannerInputs(pods_per_node=10, load_per_pod_bps=10e6)
    a = compute(slow).table
    r = compute(slow.replace(cpu_clock_hz=4e9))                 # no reference clock: ignored
    assert r.warnings and r.warnings[0].startswith("CPU clock ignored")
    np.testing.assert_allclose(r.table["cpu_cores_used"], a["cpu_cores_used"])
    b = compute(slow.replace(cpu_clock_hz=4e9, reference_clock_hz=2e9)).table
    np.testing.assert_allclose(b["cpu_cores_used"], a["cpu_cores_used"] / 2, rtol=1e-9)
    p = ModelParams().at_cpu_clock(1e9, 3e9)
    assert p.hop_cpu_s["veth"] == pytest.approx(3 * ModelParams().hop_cpu_s["veth"])
    assert p.hop_latency_s == ModelParams().hop_latency_s


# ----------------------------------------------------------------- export
def test_export_csv_and_json(tmp_path, base):
    m = PlannerModel()
    text = m.export(tmp_path / "s.csv")
    df = pd.read_csv(tmp_path / "s.csv")
    assert df["path"].tolist() == PATHS and "input_link_rate_bps" in df and "latency_p99_s" in df
    assert text == (tmp_path / "s.csv").read_text()
    m.export(tmp_path / "s.json")
    d = json.loads((tmp_path / "s.json").read_text())
    assert PlannerInputs(**d["inputs"]) == m.result.inputs
    assert [r["path"] for r in d["paths"]] == PATHS
    assert d["paths"][2]["throughput_bps"] == pytest.approx(m.result.table.loc["overlay", "throughput_bps"])
    with pytest.raises(CnimodelError):
        m.export(tmp_path / "s.xlsx")
    sat = compute(PlannerInputs(pods_per_node=200, load_per_pod_bps=200e6))
    json.loads(sat.to_json())  # inf / nan are valid JSON ("inf" / null)


# ----------------------------------------------------------------- rendering
def test_render_table_svg_status(base):
    html = render.table_html(base, version=7)
    assert 'data-version="7"' in html
    for p in PATHS:
        assert f'<th data-path="{p}"' in html
    for unit in ("Gbit/s", "us", "cores", "pods", "nodes", "B", "%"):
        assert f'<td class="unit">{unit}</td>' in html
    v = float(base.table.loc["overlay", "latency_p99_s"])
    assert f'data-path="overlay" data-metric="latency_p99_s" data-value="{v!r}"' in html
    svg = render.curve_svg(base, version=7)
    assert svg.count("<polyline") == 2 * len(PATHS) and 'class="target"' in svg
    s = render.status_html("invalid x=<1>", "error", 3)
    assert "&lt;1&gt;" in s and 'data-kind="error"' in s


# ----------------------------------------------------------------- widget layer
def test_widget_controls_drive_the_model():
    from cnimodel.widgets import planner

    w = planner(throttle_s=0)
    c = w.controls
    c["link_rate"].value = 25
    c["underlay_mtu"].value = 9000
    c["encap"].value = "geneve"
    c["load_per_pod"].value = 300
    i = w.model.result.inputs
    assert (i.link_rate_bps, i.underlay_mtu_bytes, i.overlay_encap, i.load_per_pod_bps) == \
           (25e9, 9000, "geneve", 300e6)
    assert w.model.result.table.loc["overlay", "pod_mtu_bytes"] == 8950
    assert f'data-version="{w.model.version}"' in w.table.value
    assert f'data-version="{w.model.version}"' in w.plot.value
    table_before = w.table.value
    c["underlay_mtu"].value = 40                                # out of range
    assert w.table.value == table_before
    assert 'data-kind="error"' in w.status.value and "underlay_mtu_bytes=40" in w.status.value
    c["underlay_mtu"].value = 1500
    assert 'data-kind="error"' not in w.status.value
    c["sizing"].value = "nodes"
    assert "max demand on" in w.table.value
    w._export("json")
    assert "cnimodel-scenario.json" in w.export_links.value


def test_planner_params_argument(tmp_path):
    from cnimodel.widgets import planner

    f = tmp_path / "p.json"
    ModelParams().replace(base_rtt_s=30e-6).save(f)
    w = planner(str(f), throttle_s=0)
    assert w.controls["params_file"].value == str(f)
    assert w.model.result.inputs.params_file == str(f)
    obj = ModelParams().replace(base_rtt_s=30e-6)
    w2 = planner(obj, throttle_s=0)
    np.testing.assert_allclose(w2.model.result.table["latency_mean_s"],
                               w.model.result.table["latency_mean_s"], rtol=1e-12)


def test_slider_drag_is_throttled():
    """A burst of slider values: the first is drawn at once, the rest once, with the last value."""
    from cnimodel.widgets import planner

    w = planner(throttle_s=0.2)
    v0 = w.model.version

    async def drag():
        for n in range(10, 30):
            w.controls["pods_per_node"].value = n
        assert w.model.version == v0 + 1                  # leading edge only so far
        await asyncio.sleep(0.5)

    asyncio.run(drag())
    assert w.model.version == v0 + 2                      # plus one trailing update
    assert w.model.result.inputs.pods_per_node == 29


def test_notebook_is_parameterized():
    nb = json.loads((REPO / "notebooks" / "capacity_planner.ipynb").read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "test_parameters" in nb["metadata"]["cnimodel"]
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and "params_file" in "".join(tagged[0]["source"])


# ----------------------------------------------------------------- CLI
def test_cli_finds_notebook_and_rejects_bad_params(tmp_path):
    from cnimodel.cli.planner import find_notebook, voila_command

    nb = find_notebook()
    assert nb == REPO / "notebooks" / "capacity_planner.ipynb"
    cmd = voila_command(nb, 8999)
    assert "--Voila.ip=127.0.0.1" in cmd and "--no-browser" in cmd and "--port=8999" in cmd
    r = subprocess.run([sys.executable, "-m", "cnimodel", "planner", "--params",
                        str(tmp_path / "missing.json")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.startswith("cnimodel planner: error:") and "--params" in r.stderr
    assert "Traceback" not in r.stderr
    h = subprocess.run([sys.executable, "-m", "cnimodel", "planner", "--help"], capture_output=True,
                       text=True, timeout=60)
    assert h.returncode == 0 and "--port" in h.stdout and "--params" in h.stdout


@pytest.mark.slow
def test_cli_serves_the_app_on_localhost():
    """``cnimodel planner --port 0`` prints a 127.0.0.1 URL whose page is the planner."""
    from cnimodel.widgets.browser import PlannerServer

    with PlannerServer() as srv:
        assert srv.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(srv.url, timeout=120) as resp:
            page = resp.read().decode()
        assert resp.status == 200
        assert "capacity planner" in page.lower()
