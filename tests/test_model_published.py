"""Fit and predict the published tables of ../shared/published/ that map to paths (issue 12).

Each table is fitted on its own (other people's hardware) and the errors are reported
(``pytest -s`` prints them); the assertions are on the regimes the table shows.
"""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cnimodel.calibrate import fit

PUB = Path(__file__).resolve().parents[2] / "shared" / "published"
pytestmark = pytest.mark.skipif(not PUB.is_dir(), reason=f"{PUB} not present")


def _report(name, res):
    r = res.residuals
    rel = r.predicted / r.measured - 1
    print(f"\n{name}: n={len(r)} median |rel err| {np.median(np.abs(rel)):.3f}, "
          f"max {np.max(np.abs(rel)):.3f}")
    for (q, p), g in r.assign(rel=rel).groupby(["quantity", "path"]):
        print(f"  {q:24s} {p:9s} rel err {', '.join(f'{v:+.3f}' for v in g.rel)}")
    return rel


def test_egressgateway_checksum_offload_regime():
    t = pd.read_csv(PUB / "egressgateway-vxlan.csv")
    df = pd.DataFrame({"path": t.path, "encap": t.encap.where(t.encap != "none", None),
                       "csum_offload": t.checksum_offload == "on", "test": "stream",
                       "protocol": "tcp", "underlay_mtu_bytes": 1500.0, "link_rate_bps": 10e9,
                       "throughput_bps": t.tcp_throughput_gbps * 1e9})
    res = fit(df)
    rel = _report("egressgateway (10 GbE, VXLAN checksum offload on/off)", res)
    assert np.max(np.abs(rel)) < 0.15
    off = res.residuals[df.csum_offload.to_numpy()[res.residuals.index] == False]  # noqa: E712
    assert (off.predicted < 0.5 * res.residuals.predicted.max()).all()


def test_kubeovn_qperf_latency_and_bandwidth():
    t = pd.read_csv(PUB / "kubeovn-qperf.csv")
    scale = np.where(t.bw_unit == "Gbit/s", 1e9, 1e6)
    common = {"path": t.path, "encap": t.encap.where(t.encap != "none", None),
              "msg_size_bytes": t.msg_size_bytes.astype(float), "protocol": "tcp",
              "underlay_mtu_bytes": 1500.0, "link_rate_bps": 25e9, "cni": t.cni}
    lat = pd.DataFrame({**common, "test": "rr", "latency_mean_s": 2 * t.tcp_lat_us * 1e-6})
    bw = pd.DataFrame({**common, "test": "stream", "throughput_bps": t.tcp_bw * scale})
    res = fit(pd.concat([lat, bw], ignore_index=True))
    rel = _report("Kube-OVN qperf (25 GbE; one-way latency doubled to RR)", res)
    lat_rel = rel[res.residuals.quantity == "tcp_rr_latency"]
    assert np.median(np.abs(lat_rel)) < 0.25
    assert np.isfinite(rel).all()


def test_daocloud_latency_tables():
    t = pd.read_csv(PUB / "daocloud-2023.csv")
    t = t[t.metric.str.startswith(("tcp_rr", "tcp_crr"))]
    df = pd.DataFrame({"path": t.path, "encap": t.encap.where(t.encap != "none", None),
                       "test": np.where(t.metric.str.startswith("tcp_rr"), "rr", "crr"),
                       "protocol": "tcp", "msg_size_bytes": 1024.0, "link_rate_bps": 10e9,
                       "latency_mean_s": t.value * 1e-6, "cni": t.cni})
    res = fit(df)
    rel = _report("DaoCloud 2023 TCP_RR / TCP_CRR 1024 B (10 GbE, several CNIs per path)", res)
    assert np.isfinite(rel).all()
    assert np.median(np.abs(rel)) < 0.5
