"""The planner as a Voila app in a real browser (Chromium via Playwright).

Starts ``cnimodel planner --params FILE --port 0``, loads the page, changes
controls as a user would (link rate, MTU, encapsulation, load, pods), and checks
that every number shown equals what the library computes for the same inputs:
``cnimodel.widgets.model.compute`` for the whole table (full-precision
``data-value`` and the displayed text), and, independently, the byte model and
``cnimodel.predict.predict`` for goodput and p99 latency.  Out-of-range inputs
must show a message and keep the last valid numbers.  Screenshots and the
measured round trips go to ``test-artifacts/`` (never asserted: tests do not
time the machine).
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import REPO, require

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("planner_browser")]

ARTIFACTS = REPO / "test-artifacts"
PATHS = ("host", "bridge", "overlay", "routing", "underlay")
UNITS = {"throughput_bps": "Gbit/s", "goodput_bound_bps": "Gbit/s", "latency_p99_s": "us",
         "latency_mean_s": "us", "cpu_cores_used": "cores", "max_pods_per_node": "pods",
         "nodes_needed": "nodes", "pod_mtu_bytes": "B", "utilisation": "%"}
ROUND_TRIPS: list = []


@pytest.fixture(scope="module")
def params_file(tmp_path_factory):
    from cnimodel.params import ModelParams

    # Not the defaults, so the test sees that --params reaches the page.
    f = tmp_path_factory.mktemp("planner") / "calibrated.json"
    ModelParams().replace(base_rtt_s=20e-6, queue="mm1").save(f)
    return f


@pytest.fixture(scope="module")
def app(params_file):
    from cnimodel.widgets.browser import browser_available

    ok, why = browser_available()
    require("browser", ok, why)
    from playwright.sync_api import sync_playwright

    from cnimodel.widgets.browser import PlannerPage, PlannerServer, launch_chromium

    ARTIFACTS.mkdir(exist_ok=True)
    with PlannerServer(params_file, log_file=ARTIFACTS / "planner_voila.log") as srv, \
            sync_playwright() as pw:
        ctx, _ = launch_chromium(pw)
        try:
            page = ctx.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            yield PlannerPage(page, srv.url), errors
        finally:
            (ARTIFACTS / "planner_browser_roundtrips.json").write_text(json.dumps(ROUND_TRIPS, indent=1))
            ctx.close()


def _expected(app_page, params_file):
    """Library result for the inputs the app reports (its JSON export)."""
    from cnimodel.widgets.model import PlannerInputs, compute, load_params

    exported = json.loads(app_page.export("json"))
    inputs = PlannerInputs(**exported["inputs"])
    return inputs, compute(inputs, load_params(str(params_file))), exported


def _same(shown: str, value) -> bool:
    if isinstance(value, str):
        return shown == value
    s = float(shown)
    v = float(value)
    if math.isnan(v) or math.isnan(s):
        return math.isnan(v) and math.isnan(s)
    if math.isinf(v) or math.isinf(s):
        return s == v
    return math.isclose(s, v, rel_tol=1e-12, abs_tol=0.0)


def _check_page(app_page, params_file):
    """Every shown cell equals the library's value for the app's current inputs."""
    from cnimodel.widgets.model import METRICS
    from cnimodel.widgets.render import _text

    inputs, result, exported = _expected(app_page, params_file)
    shown = app_page.read()
    assert shown["status"]["kind"] != "error", shown["status"]
    assert tuple(shown["cells"]) == PATHS
    assert shown["table_version"] == shown["status"]["version"] == shown["curve_version"]
    for metric, unit in UNITS.items():
        assert shown["units"][metric] == unit
    for path in PATHS:
        for metric, _label, _unit in METRICS:
            if metric == "max_demand_bps" and inputs.sizing != "nodes":
                continue
            cell = shown["cells"][path][metric]
            want = result.table.loc[path, metric]
            assert _same(cell["value"], want), (path, metric, cell, want)
            assert cell["text"] == _text(metric, want), (path, metric, cell)
    # the exported scenario is the one shown
    assert [r["path"] for r in exported["paths"]] == list(PATHS)
    assert "Traceback" not in shown["page_text"]
    return inputs, result, shown


def _independent(inputs, shown, params_file):
    """Cross-check goodput and p99 against the byte model and predict() directly."""
    from cnimodel import overhead
    from cnimodel.params import ModelParams
    from cnimodel.predict import predict

    params = ModelParams.load(params_file)
    enc = inputs.overlay_encap
    r = overhead.summarize(path="overlay", encap=enc, underlay_mtu_bytes=inputs.underlay_mtu_bytes,
                           link_rate_bps=inputs.link_rate_bps, ip_version=inputs.ip_version)
    assert float(shown["cells"]["overlay"]["goodput_bound_bps"]["value"]) == pytest.approx(
        float(r["goodput_bps"]), rel=1e-12)
    stream = predict(params, path=list(PATHS), encap=["none", "none", enc, "none", "none"],
                     underlay_mtu_bytes=inputs.underlay_mtu_bytes,
                     link_rate_bps=[inputs.link_rate_bps, np.inf] + [inputs.link_rate_bps] * 3,
                     ip_version=inputs.ip_version, test="stream", streams=inputs.streams,
                     cores=inputs.cores, msg_size_bytes=inputs.msg_size_bytes)
    cap = stream["throughput_bps"].to_numpy()
    rho = inputs.pods_per_node * inputs.load_per_pod_bps / cap
    for i, p in enumerate(PATHS):
        assert float(shown["cells"][p]["throughput_bps"]["value"]) == pytest.approx(cap[i], rel=1e-12)
        if rho[i] < 1:
            rr = predict(params, path=p, encap=stream["encap"].iloc[i], test="rr", load=rho[i],
                         underlay_mtu_bytes=inputs.underlay_mtu_bytes,
                         link_rate_bps=stream["link_rate_bps"].iloc[i], ip_version=inputs.ip_version,
                         msg_size_bytes=inputs.msg_size_bytes)
            assert float(shown["cells"][p]["latency_p99_s"]["value"]) == pytest.approx(
                float(rr["latency_p99_s"].iloc[0]), rel=1e-12)
        else:
            assert shown["cells"][p]["latency_p99_s"]["text"] == "saturated"


def _shows(app_page, name, value) -> bool:
    cur = app_page.value(name)
    try:
        return float(cur) == float(value)
    except ValueError:
        return cur == str(value)


def _change(app_page, name, value):
    """Set a control (first to another value when it already shows ``value``)."""
    if _shows(app_page, name, value):
        other = {"encap": "ipip" if value != "ipip" else "vxlan",
                 "ip_version": "IPv4" if value == "IPv6" else "IPv6",
                 "sizing": "total demand" if value == "node count" else "node count"}
        app_page.change(name, other[name] if name in other else
                        (1 if name == "pods_per_node" else 2 * float(value) + 1000))
    rt = app_page.change(name, value)
    st = app_page.read()["status"]
    ROUND_TRIPS.append({"control": name, "value": value, "round_trip_ms": rt * 1e3,
                        "kernel_ms": st["kernel_ms"], "kind": st["kind"]})
    return st


def test_initial_page_matches_library(app, params_file):
    page, errors = app
    inputs, result, shown = _check_page(page, params_file)
    assert inputs.params_file is not None and inputs.params_file.endswith("calibrated.json")
    _independent(inputs, shown, params_file)
    assert not errors


def test_control_changes_match_library(app, params_file):
    page, errors = app
    steps = [("link_rate", 25, "link_rate_bps", 25e9),
             ("underlay_mtu", 9000, "underlay_mtu_bytes", 9000),
             ("encap", "geneve", "overlay_encap", "geneve"),
             ("encap", "wireguard", "overlay_encap", "wireguard"),
             ("load_per_pod", 500, "load_per_pod_bps", 500e6),
             ("pods_per_node", 40, "pods_per_node", 40),
             ("ip_version", "IPv6", "ip_version", 6),
             ("sizing", "node count", "sizing", "nodes")]
    for ctl, value, field, want in steps:
        st = _change(page, ctl, value)
        assert st["kind"] != "error", (ctl, st)
        inputs, result, shown = _check_page(page, params_file)
        got = getattr(inputs, field)
        if ctl == "load_per_pod":  # a log slider snaps to 0.001 decades
            assert got == pytest.approx(want, rel=0.0012)
        else:
            assert got == want, (ctl, got)
        _independent(inputs, shown, params_file)
    page.screenshot(ARTIFACTS / "planner_browser.png")
    assert not errors


def test_slider_drag_draws_the_last_value(app, params_file):
    """Keyboard steps on the pods slider arrive faster than the throttle: the last one is drawn."""
    import time

    page, errors = app
    _change(page, "pods_per_node", 30)
    v0 = page.version()
    page.page.locator(".cnimodel-ctl-pods_per_node .noUi-handle").focus()
    for _ in range(6):
        page.page.keyboard.press("ArrowRight")
    deadline = time.monotonic() + 20
    while True:
        inputs = json.loads(page.export("json"))["inputs"]
        if inputs["pods_per_node"] == 36 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert inputs["pods_per_node"] == 36
    assert page.version() - v0 <= 6        # throttled: never more updates than changes
    _check_page(page, params_file)
    assert not errors


def test_out_of_range_inputs_keep_last_valid_results(app, params_file):
    page, errors = app
    _change(page, "underlay_mtu", 1500)
    before = page.read()
    assert before["status"]["kind"] != "error"
    # MTU below the IPv4 minimum (68 B): a message, no traceback, the numbers stay
    st = _change(page, "underlay_mtu", 40)
    after = page.read()
    assert st["kind"] == "error"
    assert "underlay_mtu_bytes=40" in st["text"]
    assert after["cells"] == before["cells"]
    assert after["table_version"] == before["table_version"]
    assert "Traceback" not in after["page_text"]
    # back in range: drawn again
    st = _change(page, "underlay_mtu", 1500)
    assert st["kind"] != "error"
    _check_page(page, params_file)
    # a negative load is rejected the same way
    st = _change(page, "link_rate", -1)
    assert st["kind"] == "error" and "link_rate_bps" in st["text"]
    st = _change(page, "link_rate", 10)
    # pod MTU above what VXLAN leaves: flagged on the overlay column, not computed
    _change(page, "encap", "vxlan")
    st = _change(page, "pod_mtu", 1500)
    inputs, result, shown = _check_page(page, params_file)
    assert shown["cells"]["overlay"]["bound"]["text"] == "MTU"
    assert "MTU misconfiguration" in shown["page_text"]
    _change(page, "pod_mtu", 0)
    # offered load beyond saturation: a warning, latency shown as saturated, the rest stays
    st = _change(page, "pods_per_node", 250)
    inputs, result, shown = _check_page(page, params_file)
    assert result.table["saturated"].any()
    assert st["kind"] == "warning" and "saturated" in st["text"]
    for p in PATHS:
        if result.table.loc[p, "saturated"]:
            assert shown["cells"][p]["latency_p99_s"]["text"] == "saturated"
            assert shown["cells"][p]["max_pods_per_node"]["text"].isdigit()
    _independent(inputs, shown, params_file)
    page.screenshot(ARTIFACTS / "planner_browser_saturated.png")
    assert not errors


def test_route_table_limit_flags_the_routing_path_only(app, params_file):
    """Past a 200-entry route table the routing column is flagged, naming the limit."""
    page, errors = app
    _change(page, "pods_per_node", 30)
    _change(page, "sizing", "node count")
    _change(page, "route_limit", "Huawei Cloud VPC route table (default): 200")
    _change(page, "node_count", 150)

    def cls(path, metric):
        return page.page.locator(f'.cnimodel-planner-results td[data-path="{path}"]'
                                 f'[data-metric="{metric}"]').get_attribute("class") or ""

    inputs, result, shown = _check_page(page, params_file)
    assert inputs.route_limit == 200 and inputs.node_count == 150
    assert shown["cells"]["routing"]["max_nodes"]["text"] == "200"
    assert "bad" not in cls("routing", "max_nodes")
    st = _change(page, "node_count", 250)
    inputs, result, shown = _check_page(page, params_file)
    assert shown["cells"]["routing"]["nodes_limit"]["text"] == "route table 200 entries"
    assert "bad" in cls("routing", "max_nodes") and "bad" in cls("routing", "nodes_limit")
    assert "routing: 250 nodes exceed the 200 the route table 200 entries allows" in shown["page_text"]
    assert st["kind"] == "warning"
    for p in ("host", "bridge", "overlay", "underlay"):
        assert "route" not in shown["cells"][p]["nodes_limit"]["text"], p
        assert "bad" not in cls(p, "max_nodes"), p
        assert float(shown["cells"][p]["max_nodes"]["value"]) >= 250, p
    # the default pod CIDR cut into the default node CIDRs: 2**8 nodes either way
    assert shown["cells"]["overlay"]["max_nodes"]["text"] == "256"
    if inputs.ip_version == 4:      # 10.244.0.0/16 in /24s: 2**8 - 2 addresses per node
        assert shown["cells"]["overlay"]["addresses_per_node"]["text"] == "254"
    else:                           # /56 in /64s: 2**64 - 1 addresses; max-pods binds
        assert shown["cells"]["overlay"]["addresses_per_node"]["text"] == "1.84e+19"
        assert not shown["cells"]["overlay"]["pods_limit"]["text"].startswith("node CIDR")
    page.screenshot(ARTIFACTS / "planner_browser_cluster.png")
    assert not errors
