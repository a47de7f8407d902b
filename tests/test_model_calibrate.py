"""fit(): recovery, identifiability report, robust loss, non-convergence, cross-validation."""
import numpy as np
import pandas as pd
import pytest

from cnimodel.calibrate import cross_validate, fit
from cnimodel.errors import FitError, ParameterError
from cnimodel.params import ModelParams
from cnimodel.predict import predict

PATHS = ["host", "bridge", "overlay", "routing", "underlay"]


def _synthetic(truth, noise=0.0, seed=0, reps=3):
    sc = pd.DataFrame({"path": np.repeat(PATHS, 6 * reps),
                       "msg_size_bytes": np.tile([1, 64, 512, 1024, 4096, 16384], 5 * reps),
                       "test": "rr", "protocol": "tcp", "link_rate_bps": 2e9, "accounting": "l2"})
    st = pd.DataFrame({"path": np.repeat(PATHS, 2 * reps), "test": "stream", "protocol": "tcp",
                       "underlay_mtu_bytes": np.tile([1500, 9000], 5 * reps), "link_rate_bps": np.nan})
    sc = pd.concat([sc, st], ignore_index=True)
    out = predict(truth, sc)
    df = sc.copy()
    rng = np.random.default_rng(seed)
    df["latency_mean_s"] = out["latency_mean_s"] * np.exp(rng.normal(0, noise, len(df)))
    df["throughput_bps"] = out["throughput_bps"] * np.exp(rng.normal(0, noise, len(df)))
    return df


TRUTH = ModelParams(base_rtt_s=55e-6, latency_per_byte_s=1e-9,
                    hop_latency_s={"veth": 2e-6, "encap": 3e-6}, cpu_per_byte_s=0.3e-9)


def test_fit_recovers_identified_parameters_and_reports_the_rest():
    df = _synthetic(TRUTH, noise=0.01)
    res = fit(df)
    est = res.estimates.set_index("parameter")
    assert est.loc["latency_per_byte_s", "identified"]
    assert est.loc["latency_per_byte_s", "estimate"] == pytest.approx(1e-9, rel=0.05)
    se = est.loc["latency_per_byte_s", "std_error"]
    assert 0 < se < 0.05e-9
    # five paths cannot pin ten hop kinds: those are regularised, with no reported precision
    unid = res.identifiability["unidentified"]
    assert "hop_latency_s.child" in unid and "hop_latency_s.encap" in unid
    assert est.loc[unid, "std_error"].isna().all()
    assert res.identifiability["rank"] < len(est)
    assert "regularised toward their defaults" in res.identifiability["message"]
    assert res.gof["median_abs_rel_error"] < 0.02
    # the path differences the data does pin are recovered
    diffs = {(d["path"], d["quantity"]): d for d in res.identifiability["path_sums"]}
    d = diffs[("overlay", "hop_latency_s")]
    true_diff = (2 * 2e-6 + 2 * 0.5e-6 + 3e-6 + 0.9e-6 + 2 * 0.4e-6)   # 2 veth, 2 bridge, encap, decap, 2 ip_fwd
    assert d["difference_s"] == pytest.approx(true_diff, abs=4 * d["std_error"] + 0.3e-6)
    assert "identifiability" in res.summary()


def test_prediction_of_fitted_params_matches_truth_data():
    df = _synthetic(TRUTH)
    res = fit(df)
    assert res.gof["max_abs_rel_error"] < 0.01
    assert res.params.to_json()  # serialisable


def test_robust_loss_is_used_when_outliers_exist():
    df = _synthetic(TRUTH, noise=0.01, seed=2)
    df.loc[3, "latency_mean_s"] *= 3.0
    res = fit(df)
    assert res.gof["loss"] == "soft_l1" and res.residuals["outlier"].sum() >= 1
    assert res.params.latency_per_byte_s == pytest.approx(1e-9, rel=0.1)
    lin = fit(df, robust="linear")
    assert lin.gof["loss"] == "linear"


def test_non_convergence_raises_with_the_optimizer_result():
    df = _synthetic(TRUTH, noise=0.01)
    with pytest.raises(FitError) as e:
        fit(df, max_nfev=2)
    assert e.value.result is not None and e.value.result.status == 0


def test_bad_inputs():
    with pytest.raises(ParameterError):
        fit(pd.DataFrame({"path": ["host"], "test": ["rr"]}))
    df = _synthetic(TRUTH)
    with pytest.raises(ParameterError):
        fit(df, free=["hop_latency_s.nope"])
    with pytest.raises(ParameterError):
        fit(df, robust="l3")


def test_cross_validation_folds():
    df = _synthetic(TRUTH, noise=0.01)
    cv = cross_validate(df, by="msg_size_bytes")
    rr = cv[cv.quantity == "tcp_rr_latency"]
    assert set(rr.held_out) == {1, 64, 512, 1024, 4096, 16384}
    assert rr.mean_abs_rel_error.median() < 0.05
    cvp = cross_validate(df, by="path")
    assert set(cvp.held_out) == set(PATHS)
    assert cvp[cvp.quantity == "tcp_rr_latency"].mean_abs_rel_error.median() < 0.15


def test_non_affine_parameter_uses_the_general_path():
    """gso_bytes enters the CPU bound non-linearly: the fit falls back to finite differences."""
    truth = ModelParams(gso_bytes=32768.0)
    sc = pd.DataFrame({"path": np.repeat(PATHS, 2), "test": "stream",
                       "underlay_mtu_bytes": np.tile([1500, 9000], 5), "link_rate_bps": np.nan})
    df = sc.assign(throughput_bps=predict(truth, sc)["throughput_bps"])
    res = fit(df, free=["gso_bytes"], prior_weight=0.0)
    assert res.params.gso_bytes == pytest.approx(32768.0, rel=1e-3)


def test_fit_separates_the_per_call_cost_with_two_send_sizes():
    """Stream rows with two send sizes (iperf3 128 KiB, netperf 16 KiB) pin cpu_per_call_s."""
    truth = ModelParams(cpu_per_call_s=8e-6)
    sc = pd.DataFrame({"path": np.repeat(["host", "overlay", "routing"], 4),
                       "msg_size_bytes": np.tile([131072.0, 16384.0], 6), "test": "stream",
                       "underlay_mtu_bytes": 1500.0, "link_rate_bps": np.nan,
                       "wire_kind": "veth"})
    data = predict(truth, sc)[["path", "test", "msg_size_bytes", "underlay_mtu_bytes",
                               "link_rate_bps", "wire_kind", "throughput_bps"]]
    data["protocol"] = "tcp"
    res = fit(data)
    est = res.estimates.set_index("parameter")
    assert "cpu_per_wire_packet_s" not in est.index          # veth: no wire packets to fit
    assert est.loc["cpu_per_call_s", "estimate"] == pytest.approx(8e-6, rel=0.02)
    assert np.isfinite(est.loc["cpu_per_call_s", "std_error"])
