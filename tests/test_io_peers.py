"""k8s-netperf, knb and flent readers, against the corpus files (read in place); iperf2: test_io_iperf2.py."""
import gzip
import json
import math

import pytest

from cnimodel.errors import DataFormatError
from cnimodel.io import read, read_flent, read_k8s_netperf, read_knb


def test_k8s_netperf_by_header_names(corpus):
    df = read_k8s_netperf(corpus / "k8s-netperf" / "result-example.csv")
    assert len(df) == 6
    assert df.throughput_bps[0] == pytest.approx(873.606667e6)
    assert math.isnan(df.latency_p99_s[0])  # stream profile: send-call latency dropped
    assert df.transactions_per_s[5] == pytest.approx(9333.986667)
    assert df.latency_p99_s[5] == pytest.approx(451.3333333333333e-6)
    assert df.test.tolist() == ["stream", "stream", "stream", "crr", "crr", "rr"]
    # columns in another order and an extra column: still read by name
    txt = "Avg Throughput,Profile,Throughput Metric,New Column\n5.5,TCP_STREAM,Mb/s,x\n"
    assert read_k8s_netperf(txt.encode()).throughput_bps[0] == 5.5e6
    with pytest.raises(DataFormatError, match="Throughput Metric"):
        read_k8s_netperf(b"Profile,Avg Throughput\nTCP_RR,1\n")


def test_knb_yaml_json_archive(corpus):
    df = read_knb(corpus / "knb-cern-mtu-sweep" / "calico-mtu1000-node0-node4.knbdata.yaml")
    assert df.series.tolist() == ["pod2pod-tcp", "pod2pod-udp", "pod2svc-tcp", "pod2svc-udp"]
    assert df.throughput_bps[0] == 2103e6 and df.pmtu_bytes[0] == 1000
    assert df.cpu_local_fraction[0] == pytest.approx(0.1351)
    # REAL invalid JSON (bare nan): recovered, values intact
    df = read_knb(corpus / "knb-cern-mtu-sweep" / "tbed-mtu1400.knbdata.json")
    assert df.throughput_bps.tolist() == [932e6, 922e6, 929e6, 939e6] and df.pmtu_bytes[0] == 1400
    df = read_knb(corpus / "knb-infrabuilder-2020" / "doc-calico.u18.04-default-run1.knbdata")
    assert dict(zip(df.series, df.throughput_bps)) == {
        "pod2pod-tcp": 8795e6, "pod2pod-udp": 1936e6, "pod2svc-tcp": 8773e6, "pod2svc-udp": 1847e6}
    assert df.pmtu_bytes[0] == 1440 and df.tool_version[0] == "1.4.1"


def test_knb_failed_test_is_nan_and_garbage_is_precise():
    doc = b'{"metadata": {"generator": "knb"}, "data": {"pod2pod": {"tcp": {"bandwidth": 0}}}}'
    assert math.isnan(read_knb(doc).throughput_bps[0])
    with pytest.raises(DataFormatError, match="line 1 column"):
        read_knb(b'{"metadata": {"generator": "knb"}, "data": {"pod2pod": {"tcp": {"bandwidth": 1 2}}}}')
    recovered = read_knb(b'{"metadata": {"user": , "generator": "knb"}, "data": {"pod2pod": '
                         b'{"tcp": {"bandwidth": 10}}}}')
    assert recovered.throughput_bps[0] == 10e6


def test_knb_tsv_rejected_with_reason(corpus):
    with pytest.raises(DataFormatError, match="ibdbench"):
        read(corpus / "knb-infrabuilder-2020" / "doc-calico.u18.04-default-run1.tsv")


def test_flent_versions_and_summaries(corpus):
    for name in ("test-tcp_nup.flent.gz", "test-rrul_be-socket_stats.flent.gz", "test-http.flent.gz"):
        df = read_flent(corpus / "flent" / name)
        assert len(df) >= 1
    p = corpus / "flent" / "test-rrul_be-socket_stats.flent.gz"
    doc = json.loads(gzip.decompress(p.read_bytes()))
    df = read_flent(p)
    assert df.format[0] == "flent-v4"
    vals = [v for v in doc["results"]["TCP download BE"] if v is not None]
    row = df[df.series == "TCP download BE"].iloc[0]
    assert row.throughput_bps == pytest.approx(sum(vals) / len(vals) * 1e6)
    assert row.direction == "receive"
    ping = df[df.series == "Ping (ms) ICMP"].iloc[0]
    pv = [v for v in doc["results"]["Ping (ms) ICMP"] if v is not None]
    assert ping.latency_mean_s == pytest.approx(sum(pv) / len(pv) / 1000)
    s = read_flent(corpus / "flent" / "test-tcp_nup.flent.gz")
    assert s[s.series == "TCP upload sum"].streams.iloc[0] == 50
