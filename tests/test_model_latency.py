"""Latency model: queue formulas, published ordering, property tests."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cnimodel import latency
from cnimodel.errors import ParameterError
from cnimodel.params import ModelParams
from cnimodel.paths import HOP_KINDS, PATH_NAMES, get_path

QUEUES = ("md1", "mm1", "mg1")


def test_default_order_of_added_latency():
    """Published order (Zhuo et al. 2019, Kube-OVN docs): host <= underlay < routing < overlay with the defaults."""
    r = latency.rr_latency(path=["host", "underlay", "routing", "overlay"])["latency_mean_s"]
    assert r[0] <= r[1] < r[2] < r[3]
    # and the published magnitudes (Zhuo et al. 2019: 11.3 us host, 20.9 us overlay)
    assert r[0] == pytest.approx(11.3e-6, rel=0.05)
    assert r[3] == pytest.approx(20.9e-6, rel=0.05)


def test_mm1_quantiles_are_exact_exponential():
    s, rho = 10e-6, 0.6
    r = latency.queue_latency(s, rho, "mm1")
    assert r["mean_s"] == pytest.approx(s / (1 - rho))
    assert r["p99_s"] == pytest.approx(-np.log(0.01) * s / (1 - rho))
    assert r["p50_s"] == pytest.approx(np.log(2) * s / (1 - rho))


def test_md1_mean_is_pollaczek_khinchine():
    s, rho = 10e-6, 0.7
    r = latency.queue_latency(s, rho, "md1")
    assert r["mean_s"] == pytest.approx(s + rho * s / (2 * (1 - rho)))
    # zero load: deterministic
    r0 = latency.queue_latency(s, 0.0, "md1")
    assert r0["p99_s"] == r0["mean_s"] == s
    # M/G/1 with cv2 = 1 has the M/M/1 mean
    assert latency.queue_latency(s, rho, "mg1", service_cv2=1.0)["mean_s"] == pytest.approx(s / (1 - rho))


@pytest.mark.parametrize("load", [1.0, 1.5, -0.1, float("inf")])
def test_unstable_or_invalid_load_raises(load):
    with pytest.raises(ParameterError) as e:
        latency.rr_latency(path="host", load=load)
    assert e.value.name == "load"


def test_unknown_path_and_queue_raise():
    with pytest.raises(ParameterError) as e:
        latency.rr_latency(path="nope")
    assert e.value.name == "path"
    with pytest.raises(ParameterError) as e:
        latency.rr_latency(path="host", queue="mm9")
    assert e.value.name == "queue"


def test_crr_costs_more_than_rr_and_scales_with_netfilter():
    p = ModelParams()
    rr = latency.rr_latency(p, "underlay")["latency_mean_s"]
    crr = latency.crr_latency(p, "underlay")["latency_mean_s"]
    assert crr > (1 + p.crr_setup_rtts) * rr
    more = latency.crr_latency(p.replace(crr_conntrack_s=5e-6), "host")["latency_mean_s"]
    less = latency.crr_latency(p, "host")["latency_mean_s"]
    assert more - less == pytest.approx(2 * 4e-6, rel=1e-6)   # host crosses netfilter twice


def test_transactions_are_inverse_latency():
    r = latency.rr_latency(path="overlay", msg_size_bytes=[1, 1024], load=0.3)
    assert np.allclose(r["transactions_per_s"], 1 / r["latency_mean_s"])


def test_saturation_load_meets_target():
    for q in QUEUES:
        rho = latency.saturation_load(path="overlay", target_s=200e-6, queue=q)
        assert 0 < rho < 1
        p99 = latency.rr_latency(path="overlay", load=rho, queue=q)["latency_p99_s"]
        assert p99 == pytest.approx(200e-6, rel=1e-3)
    assert latency.saturation_load(path="overlay", target_s=1e-6) == 0.0


def test_serialization_at_link_rate():
    """A 16 KiB message over a 1 Gbit/s wire takes its wire bytes * 8 / rate longer than unshaped."""
    a = latency.one_way_latency_s(path="host", msg_size_bytes=16384, link_rate_bps=1e9)
    b = latency.one_way_latency_s(path="host", msg_size_bytes=16384, link_rate_bps=np.inf)
    wire = 16384 + 12 * (52 + 38)            # ceil(16384 / 1448) = 12 packets
    assert a - b == pytest.approx(wire * 8 / 1e9)


@settings(max_examples=60, deadline=None)
@given(path=st.sampled_from(PATH_NAMES), q=st.sampled_from(QUEUES),
       l1=st.floats(0, 0.98), l2=st.floats(0, 0.98),
       m1=st.integers(0, 1 << 20), m2=st.integers(0, 1 << 20),
       rate=st.sampled_from([1e9, 10e9, 100e9, np.inf]), test=st.sampled_from(["rr", "crr"]))
def test_latency_rises_with_load_and_message_size(path, q, l1, l2, m1, m2, rate, test):
    lo_l, hi_l = sorted((l1, l2))
    lo_m, hi_m = sorted((m1, m2))
    kw = dict(queue=q, link_rate_bps=rate, test=test)
    for key in ("latency_mean_s", "latency_p50_s", "latency_p90_s", "latency_p99_s"):
        a = latency.rr_latency(None, path, lo_m, lo_l, **kw)[key]
        b = latency.rr_latency(None, path, lo_m, hi_l, **kw)[key]
        c = latency.rr_latency(None, path, hi_m, lo_l, **kw)[key]
        assert a <= b * (1 + 1e-12)
        assert a <= c * (1 + 1e-12)


@settings(max_examples=60, deadline=None)
@given(path=st.sampled_from(PATH_NAMES), hop=st.sampled_from(list(HOP_KINDS)),
       pos=st.integers(0, 20), load=st.floats(0, 0.95), m=st.integers(0, 65536),
       q=st.sampled_from(QUEUES))
def test_adding_a_hop_never_lowers_latency(path, hop, pos, load, m, q):
    base = get_path(path)
    if hop == "wire" and base.same_node:
        return
    if hop in ("encap", "decap") and base.encap == "none":
        hops = list(base.hops)
        hops.insert(min(pos, len(hops)), hop)
        if ("encap" in hops) != ("decap" in hops):
            hops.insert(min(pos, len(hops)), "decap" if hop == "encap" else "encap")
        longer = base.replace(name=base.name + "+", hops=tuple(hops), encap="vxlan")
        # the longer path also carries tunnel bytes: compare with the same encapsulation
        kw = dict(encap="vxlan")
    else:
        hops = list(base.hops)
        hops.insert(min(pos, len(hops)), hop)
        longer = base.replace(name=base.name + "+", hops=tuple(hops))
        kw = {}
    for key in ("latency_mean_s", "latency_p99_s"):
        a = latency.rr_latency(None, base, m, load, q, **kw)[key]
        b = latency.rr_latency(None, longer, m, load, q, **kw)[key]
        assert b >= a * (1 - 1e-12)


def test_series_in_series_out_and_broadcasting():
    import pandas as pd

    s = pd.Series([1.0, 1024.0, 16384.0], index=["a", "b", "c"])
    r = latency.rr_latency(path="overlay", msg_size_bytes=s)
    assert isinstance(r["latency_mean_s"], pd.Series) and list(r["latency_mean_s"].index) == ["a", "b", "c"]
    g = latency.rr_latency(path=np.array(["host", "overlay"])[:, None], msg_size_bytes=[1, 1024, 4096])
    assert g["latency_p99_s"].shape == (2, 3)


@settings(max_examples=40, deadline=None)
@given(m1=st.integers(0, 1 << 22), m2=st.integers(0, 1 << 22), burst=st.sampled_from([0, 65536, 1 << 20]))
def test_token_bucket_shaper_latency_is_monotone_and_below_the_link(m1, m2, burst):
    lo, hi = sorted((m1, m2))
    kw = dict(link_rate_bps=2e9, accounting="l2")
    from cnimodel.predict import predict

    a, b = (predict(None, path="host", test="rr", msg_size_bytes=m, shaper_burst_bytes=burst, **kw)
            .latency_mean_s.iloc[0] for m in (lo, hi))
    link = predict(None, path="host", test="rr", msg_size_bytes=hi, **kw).latency_mean_s.iloc[0]
    assert a <= b * (1 + 1e-12) and b <= link * (1 + 1e-12)
