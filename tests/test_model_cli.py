"""cnimodel fit / cnimodel predict."""
import json

import numpy as np
import pandas as pd
import pytest

from cnimodel.cli import main
from cnimodel.cli.model import PREDICT_KEYS
from cnimodel.params import ModelParams
from cnimodel.predict import predict


def test_predict_json_keys_and_values(capsys):
    assert main(["predict", "--path", "overlay", "--mtu", "9000", "--link-gbps", "40",
                 "--streams", "8", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert set(d) == set(PREDICT_KEYS)
    assert d["bound"] == "link" and d["mss_bytes"] == 8898
    assert d["throughput_bps"] == pytest.approx(40e9 * 8898 / 9038)


def test_predict_wire_and_send_size(capsys):
    def tp(*extra):
        assert main(["predict", "--path", "host", "--link-gbps", "0", "--json", *extra]) == 0
        return json.loads(capsys.readouterr().out)["throughput_bps"]

    veth = [tp("--wire", "veth", "--mtu", m) for m in ("1500", "9000")]
    assert veth[0] == pytest.approx(veth[1], rel=1e-12)          # no MTU-sized packets on veth
    assert tp("--mtu", "9000") > tp("--mtu", "1500")              # a NIC: wire packets cost CPU
    assert tp("--msg-size", "16384") < tp()                       # more send() calls per byte


def test_predict_rr_text_and_multiple_paths(capsys):
    assert main(["predict", "--path", "host,overlay", "--test", "rr", "--load", "0.5",
                 "--queue", "mm1", "--msg-size", "1024"]) == 0
    out = capsys.readouterr().out
    assert "p50 / p90 / p99" in out and "overlay" in out
    assert main(["predict", "--path", "host,overlay", "--test", "rr", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["path"] for r in rows] == ["host", "overlay"]
    assert rows[0]["throughput_bps"] is None and rows[0]["latency_mean_s"] > 0


@pytest.mark.parametrize("argv,word", [
    (["predict", "--path", "nope"], "path"),
    (["predict", "--path", "host", "--test", "rr", "--load", "1"], "load"),
    (["predict", "--path", "host", "--params", "/nonexistent.json"], "params file"),
])
def test_predict_errors_are_one_line_exit_2(capsys, argv, word):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and word in err


def test_fit_writes_params_and_prints_summary(tmp_path, capsys):
    truth = ModelParams(base_rtt_s=50e-6, latency_per_byte_s=1e-9)
    sc = pd.DataFrame({"path": np.repeat(["host", "bridge", "overlay", "routing", "underlay"], 3),
                       "msg_size_bytes": np.tile([1, 1024, 16384], 5), "test": "rr",
                       "link_rate_bps": 2e9})
    df = predict(truth, sc, accounting="l2")[["path", "test", "msg_size_bytes", "link_rate_bps",
                                               "latency_mean_s"]]
    csv = tmp_path / "tidy.csv"
    df.to_csv(csv, index=False)
    out = tmp_path / "params.json"
    assert main(["fit", str(csv), "--out", str(out), "--accounting", "l2"]) == 0
    text = capsys.readouterr().out
    assert "identifiability" in text and "base_rtt_s" in text
    p = ModelParams.load(out)
    assert p.latency_per_byte_s == pytest.approx(1e-9, rel=0.02)
    assert main(["predict", "--params", str(out), "--path", "host", "--test", "rr", "--json"]) == 0
    d = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert d["latency_mean_s"] > 50e-6
    assert main(["fit", str(tmp_path / "missing")]) == 2
