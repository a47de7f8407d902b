"""predict(): tidy output, broadcasting, validation."""
import numpy as np
import pandas as pd
import pytest

from cnimodel import predict as predict_fn
from cnimodel.errors import ParameterError
from cnimodel.io.schema import COLUMN_NAMES
from cnimodel.params import ModelParams
from cnimodel.predict import OUTPUT_COLUMNS, predict


def test_exported_at_top_level():
    assert predict_fn is predict


def test_output_columns_use_schema_names():
    df = predict(path="overlay", test=["stream", "rr", "crr"])
    for c in OUTPUT_COLUMNS:
        assert c in df
    for c in ("throughput_bps", "latency_mean_s", "latency_p99_s", "transactions_per_s", "mss_bytes",
              "msg_size_bytes", "streams", "path", "test", "protocol"):
        assert c in COLUMN_NAMES
    assert df.loc[0, "bound"] in ("link", "cpu_stream") and np.isnan(df.loc[0, "latency_mean_s"])
    assert df.loc[1, "bound"] == "" and np.isnan(df.loc[1, "throughput_bps"])
    assert df.loc[2, "latency_mean_s"] > df.loc[1, "latency_mean_s"]


def test_grid_frame_keeps_label_columns_and_broadcasts_scalars():
    grid = pd.MultiIndex.from_product([["host", "overlay"], [1500, 9000], [1, 8]],
                                      names=["path", "underlay_mtu_bytes", "streams"]).to_frame(index=False)
    grid["condition"] = "what-if"
    df = predict(ModelParams(), grid, link_rate_bps=40e9)
    assert len(df) == 8 and (df.condition == "what-if").all() and (df.link_rate_bps == 40e9).all()
    assert list(df.path) == list(grid.path)
    assert (df.throughput_bps <= df.goodput_bound_bps).all()
    assert set(df.mss_bytes) == {1448, 8948, 1398, 8898}


def test_mtu_misconfiguration_is_flagged_not_computed():
    df = predict(path="overlay", pod_mtu_bytes=[1450, 1500], underlay_mtu_bytes=1500)
    assert list(df.mtu_misconfigured) == [False, True]
    assert np.isfinite(df.throughput_bps[0]) and np.isnan(df.throughput_bps[1])


def test_encap_override_changes_bytes():
    df = predict(path="overlay", encap=["vxlan", "geneve", "ipip"], underlay_mtu_bytes=1500)
    assert list(df.pod_mtu_bytes) == [1450, 1450, 1480]
    assert list(df.encap) == ["vxlan", "geneve", "ipip"]


@pytest.mark.parametrize("kw,name", [
    (dict(path="nope"), "path"),
    (dict(path="host", test="tcp_rr"), "test"),
    (dict(path="host", protocol="sctp"), "protocol"),
    (dict(path="host", load=1.0, test="rr"), "load"),
    (dict(path="host", streams=0), "streams"),
    (dict(path="host", link_rate_bps=-1.0), "link_rate_bps"),
    (dict(path="host", msg_size_bytes=-5), "msg_size_bytes"),
    (dict(path="host", underlay_mtu_bytes=40), "underlay_mtu_bytes"),
    (dict(path="host", accounting="phy"), "accounting"),
    (dict(path="host", cores=0), "cores"),
    (dict(path="host", test="crr", protocol="udp"), "test"),
])
def test_invalid_scenarios_name_the_input(kw, name):
    with pytest.raises(ParameterError) as e:
        predict(**kw)
    assert e.value.name == name


def test_mixed_rows_are_vectorized_consistently():
    rng = np.random.default_rng(0)
    n = 2000
    sc = pd.DataFrame({"path": rng.choice(["host", "bridge", "overlay", "routing", "underlay"], n),
                       "underlay_mtu_bytes": rng.choice([1500, 9000], n),
                       "test": rng.choice(["stream", "rr", "crr"], n),
                       "msg_size_bytes": rng.choice([1.0, 1024.0, 65536.0], n),
                       "load": rng.uniform(0, 0.9, n), "accounting": rng.choice(["wire", "l2"], n),
                       "protocol": "tcp", "streams": rng.integers(1, 9, n)})
    whole = predict(None, sc)
    for i in rng.choice(n, 25, replace=False):
        one = predict(None, sc.iloc[[i]])
        for c in ("throughput_bps", "latency_p99_s", "cpu_cores_used", "pod_mtu_bytes"):
            a, b = whole[c].iloc[i], one[c].iloc[0]
            assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, rel=1e-12), c
        assert whole["bound"].iloc[i] == one["bound"].iloc[0]


def test_measured_columns_sit_beside_the_predictions():
    meas = pd.DataFrame({"path": ["host", "overlay"], "test": "stream", "throughput_bps": [9.4e9, 9.0e9],
                         "link_rate_bps": 10e9, "condition": "c1"})
    df = predict(None, meas)
    assert list(df.throughput_bps_measured) == [9.4e9, 9.0e9]
    assert df.throughput_bps.iloc[0] == pytest.approx(10e9 * 1448 / 1538)
    assert (df.condition == "c1").all()
