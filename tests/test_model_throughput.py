"""Throughput model: bounds, which one binds, property tests."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cnimodel import overhead, throughput
from cnimodel.bounds import BOUNDS
from cnimodel.errors import ParameterError
from cnimodel.params import ModelParams
from cnimodel.paths import PATH_NAMES, get_path


WIRE_PATHS = [p for p in PATH_NAMES if not get_path(p).same_node]


def test_link_bound_is_the_byte_model():
    for path in WIRE_PATHS:
        for mtu, acc in ((1500, "wire"), (9000, "l2")):
            r = throughput.stream_throughput(path=path, underlay_mtu_bytes=mtu, link_rate_bps=2e9,
                                             accounting=acc)
            exp = overhead.goodput_bps(2e9, mtu, get_path(path).encap, accounting=acc)
            assert float(r["goodput_bound_bps"]) == pytest.approx(float(exp), rel=1e-12)
            assert str(r["bound"]) == "link"
            assert float(r["throughput_bps"]) == pytest.approx(float(exp), rel=1e-12)


def test_single_stream_at_40g_is_cpu_bound_and_pod_paths_slower():
    """InfraBuilder 2024: single streams at 25-40 GbE are CPU-bound; pod paths ~0.63-0.80 of host."""
    r = throughput.stream_throughput(path=list(PATH_NAMES), underlay_mtu_bytes=9000, link_rate_bps=40e9)
    assert (r["bound"] == "cpu_stream").all()
    host = r["throughput_bps"][0]
    for i, p in enumerate(PATH_NAMES[1:], start=1):
        ratio = r["throughput_bps"][i] / host
        if p == "underlay":                          # no veth, no bridge: about host
            assert 0.9 < ratio <= 1.0
        else:
            assert 0.6 < ratio < 0.95, p
    m = throughput.stream_throughput(path=WIRE_PATHS, underlay_mtu_bytes=9000,
                                     link_rate_bps=40e9, streams=8)
    assert (m["bound"] == "link").all()


def test_same_node_path_has_no_link_bound():
    r = throughput.stream_throughput(path="bridge", link_rate_bps=2e9, streams=4)
    assert r["goodput_bound_bps"] == np.inf and str(r["bound"]) == "cpu_stream"
    assert r["throughput_bps"] > 2e9


def test_offload_off_and_no_tunnel_offload_penalise_overlay():
    p = ModelParams()
    on = throughput.stream_throughput(p, "overlay", link_rate_bps=np.inf)["throughput_bps"]
    off = throughput.stream_throughput(p, "overlay", link_rate_bps=np.inf, offload=False)["throughput_bps"]
    notun = throughput.stream_throughput(p.replace(tunnel_offload=False), "overlay",
                                         link_rate_bps=np.inf)["throughput_bps"]
    host_notun = throughput.stream_throughput(p.replace(tunnel_offload=False), "host",
                                              link_rate_bps=np.inf)["throughput_bps"]
    host = throughput.stream_throughput(p, "host", link_rate_bps=np.inf)["throughput_bps"]
    assert off < notun < on
    assert host_notun == host                      # no tunnel, nothing changes
    assert 1 - notun / host > 0.4                  # egressgateway docs: 2.5 vs 8.9 Gbit/s (72 %) without tunnel offload


def test_udp_is_packet_rate_bound_at_1500_and_reaches_line_rate_at_9000():
    """InfraBuilder 2020 (docs/sources.md): ~1.8-2.8 Gbit/s at MTU 1500, line rate at 9000."""
    r = throughput.stream_throughput(path="host", protocol="udp", underlay_mtu_bytes=[1500, 9000],
                                     link_rate_bps=10e9)
    assert list(r["bound"]) == ["packet_rate", "link"]
    assert 1.8e9 < r["throughput_bps"][0] < 2.8e9


def test_loss_and_window_bounds():
    mss, rtt = 1448, 1e-3
    assert throughput.mathis_bps(mss, rtt, 0.0) == np.inf
    assert throughput.mathis_bps(mss, rtt, 1e-4) == pytest.approx(8 * mss / rtt * np.sqrt(1.5) / 1e-2)
    r = throughput.stream_throughput(path="host", loss_rate=1e-3, extra_rtt_s=10e-3)
    assert str(r["bound"]) == "loss"
    r2 = throughput.stream_throughput(path="host", loss_rate=1e-3, extra_rtt_s=10e-3, streams=4)
    assert r2["throughput_bps"] == pytest.approx(4 * r["throughput_bps"])
    w = throughput.stream_throughput(path="host", extra_rtt_s=100e-3, link_rate_bps=10e9)
    assert str(w["bound"]) == "window"
    assert float(w["throughput_bps"]) == pytest.approx(8 * 3 * 2 ** 20 / (100e-3 + 11.55e-6), rel=1e-3)
    mathis = throughput.stream_throughput(ModelParams(loss_model="mathis"), path="host",
                                          loss_rate=1e-3, extra_rtt_s=10e-3)
    assert mathis["loss_bound_bps"] > r["loss_bound_bps"]       # PFTK adds timeouts
    with pytest.raises(ParameterError) as e:
        throughput.stream_throughput(path="host", loss_rate=1.0)
    assert e.value.name == "loss_rate"


def test_cores_cap_the_cpu_bound():
    r = throughput.stream_throughput(path="overlay", streams=8, cores=2, link_rate_bps=np.inf)
    one = throughput.stream_throughput(path="overlay", link_rate_bps=np.inf)
    assert r["throughput_bps"] == pytest.approx(2 * one["throughput_bps"])
    assert r["cpu_cores_used"] == pytest.approx(2.0)


def test_cpu_cores_used():
    c = throughput.cpu_cores_used(path=["host", "overlay"], throughput_bps=10e9)
    assert c[1] > c[0] > 0
    with pytest.raises(ParameterError):
        throughput.cpu_cores_used(path="host", throughput_bps=-1)


@settings(max_examples=80, deadline=None)
@given(path=st.sampled_from(PATH_NAMES), mtu=st.integers(1280, 9216),
       rate=st.floats(1e6, 400e9), streams=st.integers(1, 64), acc=st.sampled_from(["wire", "l2"]),
       offload=st.booleans(), loss=st.sampled_from([0.0, 1e-6, 1e-3]),
       proto=st.sampled_from(["tcp", "udp"]), rtt=st.floats(0, 0.2))
def test_throughput_never_exceeds_the_link_bound(path, mtu, rate, streams, acc, offload, loss, proto, rtt):
    r = throughput.stream_throughput(path=path, underlay_mtu_bytes=mtu, link_rate_bps=rate,
                                     streams=streams, accounting=acc, offload=offload,
                                     loss_rate=loss, protocol=proto, extra_rtt_s=rtt)
    assert r["throughput_bps"] <= r["goodput_bound_bps"] * (1 + 1e-12)
    if not get_path(path).same_node:             # a same-node path crosses no link
        assert r["throughput_bps"] <= rate
    assert r["throughput_bps"] > 0
    assert str(r["bound"]) in BOUNDS


def _unshaped(path, mtu, **kw):
    from cnimodel.predict import predict

    return predict(path=path, underlay_mtu_bytes=mtu, link_rate_bps=np.inf, **kw)


def test_wire_packets_are_charged_only_on_a_nic():
    """A NIC receives MTU-sized frames (cpu_per_wire_packet_s each); a veth wire and a same-node
    path carry the GSO super-packets whole, so their CPU bound does not depend on the MTU."""
    p = ModelParams(cpu_per_wire_packet_s=0.5e-6)
    paths = ["host", "routing", "underlay", "overlay"]
    nic = {m: _unshaped(paths, m).throughput_bps.to_numpy() for m in (1500, 9000)}
    from cnimodel.predict import predict

    veth = {m: predict(p, path=paths, underlay_mtu_bytes=m, link_rate_bps=np.inf,
                       wire_kind="veth").throughput_bps.to_numpy() for m in (1500, 9000)}
    nic_p = {m: predict(p, path=paths, underlay_mtu_bytes=m, link_rate_bps=np.inf,
                        wire_kind="nic").throughput_bps.to_numpy() for m in (1500, 9000)}
    assert (nic[9000] > nic[1500]).all()
    assert (nic_p[9000] / nic_p[1500] > nic[9000] / nic[1500]).all()   # larger cost, larger gain
    np.testing.assert_allclose(veth[9000], veth[1500], rtol=1e-12)
    assert (veth[1500] > nic_p[1500]).all()
    # same-node: no NIC, whatever the label
    b = [float(predict(p, path="bridge", underlay_mtu_bytes=m, wire_kind=w).throughput_bps[0])
         for m in (1500, 9000) for w in ("nic", "veth")]
    assert b == pytest.approx([b[0]] * 4, rel=1e-12)


def test_wire_kind_is_validated():
    with pytest.raises(ParameterError, match="wire_kind"):
        _unshaped("host", 1500, wire_kind="fibre")


@given(st.sampled_from(list(PATH_NAMES)), st.floats(1, 1 << 20), st.floats(1, 1 << 20))
@settings(max_examples=50, deadline=None)
def test_smaller_sends_never_raise_the_cpu_bound(path, a, b):
    """Every send() call costs cpu_per_call_s: fewer bytes per call, more CPU per byte."""
    small, large = sorted((a, b))
    t = _unshaped(path, 1500, msg_size_bytes=[small, large]).throughput_bps.to_numpy()
    assert t[0] <= t[1] * (1 + 1e-12)


def test_default_send_size_is_iperf3s_128_kib():
    t = _unshaped("host", 1500, msg_size_bytes=[np.nan, 131072.0]).throughput_bps.to_numpy()
    assert t[0] == pytest.approx(t[1], rel=1e-12)
