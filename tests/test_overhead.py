"""Byte model: exact values (IEEE 802.3, RFCs, Felter et al. 2015; docs/sources.md) and hypothesis invariants."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from cnimodel import overhead as ov
from cnimodel.encap import ENCAPSULATIONS, Encapsulation, get_encap, register_encap
from cnimodel.errors import CnimodelError, MTUMisconfigurationError, ParameterError


# ----------------------------------------------------------------- exact values
def test_host_10gbe_mtu1500():
    r = ov.summarize(path="host", underlay_mtu_bytes=1500, link_rate_bps=10e9)
    assert r["mss_bytes"] == 1448
    assert r["pod_mtu_bytes"] == 1500
    assert r["goodput_bps"] == pytest.approx(10e9 * 1448 / 1538)
    assert round(float(r["goodput_bps"]) / 1e9, 3) == 9.415


def test_vxlan_10gbe_mtu1500():
    r = ov.summarize(path="overlay", underlay_mtu_bytes=1500, link_rate_bps=10e9)
    assert r["pod_mtu_bytes"] == 1450 and r["mss_bytes"] == 1398
    assert r["goodput_bps"] == pytest.approx(10e9 * 1398 / 1538)
    assert round(float(r["goodput_bps"]) / 1e9, 3) == 9.090


def test_ipv6_underlay_vxlan_pod_mtu():
    assert ov.pod_mtu_bytes(1500, "vxlan", ip_version=6) == 1430
    # IPv4 pods over an IPv6 underlay: outer header decides the overhead
    assert ov.pod_mtu_bytes(1500, "vxlan", ip_version=4, outer_ip_version=6) == 1430


def test_jumbo_vxlan_pod_mtu():
    assert ov.pod_mtu_bytes(9000, path="overlay") == 8950


def test_l2_accounting_2gbit_host():
    r = ov.summarize(path="host", underlay_mtu_bytes=1500, link_rate_bps=2e9, accounting="l2")
    assert r["goodput_bps"] == pytest.approx(2e9 * 1448 / 1514)
    assert round(float(r["goodput_bps"]) / 1e9, 4) == 1.9128


def test_overlay_host_ratio_matches_lab_measurement():
    # cnimodel lab (data/README.md): measured overlay/host 0.96544, predicted 1398/1448 = 0.96547
    h = ov.goodput_bps(2e9, 1500, "none", accounting="l2")
    o = ov.goodput_bps(2e9, 1500, "vxlan", accounting="l2")
    assert float(o / h) == pytest.approx(0.96547, abs=5e-6)


@pytest.mark.parametrize("encap,v4,v6", [("none", 0, 0), ("vxlan", 50, 70), ("geneve", 50, 70),
                                         ("ipip", 20, 40), ("wireguard", 60, 80), ("ipsec", 77, 77)])
def test_encap_overheads(encap, v4, v6):
    assert ov.encap_overhead_bytes(encap, 4) == v4
    assert ov.encap_overhead_bytes(encap, 6) == v6


def test_geneve_options_and_kube_ovn_reservation():
    assert ov.encap_overhead_bytes("geneve", 4, geneve_option_bytes=48) == 98
    assert ov.pod_mtu_bytes(9000, "geneve", geneve_option_bytes=48) == 8902


def test_headers_and_payloads():
    assert ov.mss_bytes(1500) == 1448
    assert ov.mss_bytes(1500, tcp_timestamps=False) == 1460
    assert ov.mss_bytes(1500, ip_version=6) == 1428
    assert ov.udp_payload_bytes(1500) == 1472
    assert ov.udp_payload_bytes(1500, 6) == 1452
    r = ov.summarize(path="host", protocol="udp", underlay_mtu_bytes=1500, link_rate_bps=1e9)
    assert r["payload_per_packet_bytes"] == 1472 and np.isnan(r["mss_bytes"])
    assert r["goodput_bps"] == pytest.approx(1e9 * 1472 / 1538)


def test_vlan_adds_four_bytes_per_frame():
    r = ov.summarize(path="host", vlan=True, underlay_mtu_bytes=1500, link_rate_bps=10e9)
    assert r["frame_bytes"] == 1542
    assert ov.framing_bytes("l2", vlan=True) == 18


def test_messages_packets_and_wire_bytes():
    # 4000 B over MSS 1448: 3 segments, each with 52 B of headers + 38 B framing
    assert ov.packets_per_message(4000, 1448) == 3
    assert ov.wire_bytes_per_message(4000, 1500) == 4000 + 3 * (52 + 38)
    assert ov.wire_bytes_per_message(1, 1500) == 1 + 52 + 38
    assert ov.packets_per_message(0, 1448) == 1
    # VXLAN: 50 more bytes per packet and a smaller MSS (1398: 3 packets for 4000 B)
    assert ov.wire_bytes_per_message(4000, 1500, "vxlan") == 4000 + 3 * (52 + 50 + 38)
    r = ov.summarize(path="host", underlay_mtu_bytes=1500, msg_size_bytes=np.array([1448, 1449]))
    np.testing.assert_array_equal(r["packets_per_message"], [1, 2])


def test_vectorized_numpy_and_series():
    mtu = np.array([1500, 9000, 1450])
    np.testing.assert_array_equal(ov.pod_mtu_bytes(mtu, "vxlan"), [1450, 8950, 1400])
    s = pd.Series([1500, 9000], index=["a", "b"])
    out = ov.pod_mtu_bytes(s, path="overlay")
    assert isinstance(out, pd.Series) and list(out.index) == ["a", "b"]
    assert list(out) == [1450, 8950]
    enc = np.array(["none", "vxlan", "ipip"])
    g = ov.goodput_bps(10e9, 1500, enc)
    np.testing.assert_allclose(g, 10e9 * np.array([1448, 1398, 1428]) / 1538)
    paths = pd.Series(["host", "overlay"], dtype="category")
    r = ov.summarize(path=paths, underlay_mtu_bytes=1500)
    assert list(r["pod_mtu_bytes"]) == [1500, 1450]


# ----------------------------------------------------------------- misconfiguration
def test_pod_mtu_too_large_is_reported_not_computed():
    with pytest.raises(MTUMisconfigurationError, match="fragmented or black-holed"):
        ov.summarize(path="overlay", underlay_mtu_bytes=1500, pod_mtu_bytes=1500)
    r = ov.summarize(path="overlay", underlay_mtu_bytes=1500, pod_mtu_bytes=np.array([1450, 1500, 1400]),
                     on_misconfig="flag")
    np.testing.assert_array_equal(r["mtu_misconfigured"], [False, True, False])
    assert np.isnan(r["goodput_bps"][1]) and np.isfinite(r["goodput_bps"][[0, 2]]).all()
    assert ov.mtu_misconfigured(1500, 1450, "vxlan") == False  # noqa: E712
    # a smaller pod MTU than allowed is legal; the wire packet is then smaller too
    r = ov.summarize(path="overlay", underlay_mtu_bytes=1500, pod_mtu_bytes=1400)
    assert r["wire_packet_bytes"] == 1450 and r["mss_bytes"] == 1348


@pytest.mark.parametrize("kwargs,name", [
    (dict(underlay_mtu_bytes=67), "underlay_mtu_bytes"),
    (dict(underlay_mtu_bytes=1279, ip_version=6), "underlay_mtu_bytes"),
    (dict(underlay_mtu_bytes=70000), "underlay_mtu_bytes"),
    (dict(underlay_mtu_bytes=1500.5), "underlay_mtu_bytes"),
    (dict(underlay_mtu_bytes=float("nan")), "underlay_mtu_bytes"),
    (dict(link_rate_bps=0), "link_rate_bps"),
    (dict(link_rate_bps=-1e9), "link_rate_bps"),
    (dict(link_rate_bps=float("inf")), "link_rate_bps"),
    (dict(encap="vxlan-gpe"), "encap"),
    (dict(path="sriov"), "path"),
    (dict(ip_version=5), "ip_version"),
    (dict(protocol="sctp"), "protocol"),
    (dict(accounting="ppp"), "accounting"),
    (dict(encap="geneve", geneve_option_bytes=3), "geneve_option_bytes"),
    (dict(msg_size_bytes=-1), "msg_size_bytes"),
    (dict(encap="vxlan", underlay_mtu_bytes=100), "pod_mtu_bytes"),
    (dict(pod_mtu_bytes=60, underlay_mtu_bytes=1500), "pod_mtu_bytes"),
])
def test_invalid_inputs_name_the_parameter(kwargs, name):
    with pytest.raises(ParameterError) as ei:
        ov.summarize(**kwargs)
    assert ei.value.name == name
    assert name in str(ei.value) and "allowed" in str(ei.value)
    assert isinstance(ei.value, CnimodelError)


def test_overhead_at_least_mtu_is_rejected():
    register_encap(Encapsulation("test-huge", 1500, 1500), replace=True)
    try:
        with pytest.raises(ParameterError) as ei:
            ov.summarize(encap="test-huge", underlay_mtu_bytes=1500)
        assert ei.value.name == "encap_overhead_bytes"
    finally:
        ENCAPSULATIONS.pop("test-huge")


def test_first_offending_element_is_named():
    with pytest.raises(ParameterError) as ei:
        ov.summarize(underlay_mtu_bytes=np.array([1500, 9000, 40, 30]))
    assert ei.value.value == 40


def test_encap_lookup_is_case_insensitive():
    assert get_encap("VXLAN").name == "vxlan"
    with pytest.raises(ParameterError):
        register_encap(Encapsulation("vxlan", 1, 1))


# ----------------------------------------------------------------- properties
ENCAPS = st.sampled_from(["none", "vxlan", "geneve", "ipip", "wireguard", "ipsec"])
MTUS = st.integers(1400, 9216)  # IPv6 pods need >= 1280 after up to 120 B of tunnel
RATES = st.floats(1e6, 4e11, allow_nan=False)
ACCT = st.sampled_from(["wire", "l2"])


@settings(max_examples=300, deadline=None)
@given(MTUS, RATES, ENCAPS, ACCT, st.sampled_from([4, 6]), st.sampled_from(["tcp", "udp"]),
       st.one_of(st.none(), st.integers(0, 10**7)))
def test_goodput_never_exceeds_line_rate(mtu, rate, encap, acct, ipv, proto, msg):
    r = ov.summarize(encap=encap, underlay_mtu_bytes=mtu, link_rate_bps=rate, accounting=acct,
                     ip_version=ipv, protocol=proto, msg_size_bytes=msg)
    assert 0 <= r["goodput_bps"] < rate
    assert 0 <= r["efficiency"] < 1


@settings(max_examples=300, deadline=None)
@given(MTUS, st.integers(1, 1000), ENCAPS, ACCT, st.sampled_from([4, 6]))
def test_efficiency_rises_with_mtu(mtu, delta, encap, acct, ipv):
    hi = min(mtu + delta, 65535)
    e1 = ov.efficiency(mtu, encap, accounting=acct, ip_version=ipv)
    e2 = ov.efficiency(hi, encap, accounting=acct, ip_version=ipv)
    assert e2 >= e1 if hi == mtu else e2 > e1


@settings(max_examples=300, deadline=None)
@given(MTUS, RATES, st.integers(0, 60).map(lambda k: 4 * k), st.integers(1, 30).map(lambda k: 4 * k),
       st.one_of(st.none(), st.integers(0, 10**6)))
def test_more_encapsulation_bytes_never_raise_goodput(mtu, rate, opt, more, msg):
    a = ov.goodput_bps(rate, mtu, "geneve", geneve_option_bytes=opt, msg_size_bytes=msg)
    b = ov.goodput_bps(rate, mtu, "geneve", geneve_option_bytes=opt + more, msg_size_bytes=msg)
    assert b <= a
    assert ov.goodput_bps(rate, mtu, "vxlan", msg_size_bytes=msg) <= ov.goodput_bps(rate, mtu, "none", msg_size_bytes=msg)


@settings(max_examples=500, deadline=None)
@given(
    mtu=st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True)),
    rate=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10)),
    encap=st.one_of(ENCAPS, st.text(max_size=8)),
    ipv=st.integers(0, 8),
    msg=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    pod=st.one_of(st.none(), st.integers(-100, 70000)),
)
def test_any_input_either_computes_or_raises_cnimodel_error(mtu, rate, encap, ipv, msg, pod):
    try:
        r = ov.summarize(encap=encap, underlay_mtu_bytes=mtu, link_rate_bps=rate, ip_version=ipv,
                         msg_size_bytes=msg, pod_mtu_bytes=pod)
    except CnimodelError:
        return
    assert np.isfinite(r["goodput_bps"]) and 0 <= r["goodput_bps"] < rate
