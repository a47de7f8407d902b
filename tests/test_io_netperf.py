"""netperf reader: real 2.7 outputs made here (tests/data/io/netperf, see README) and the corpus."""
import math
import re

import pytest

from cnimodel.errors import DataFormatError
from cnimodel.io import read_netperf
from cnimodel.io.netperf import throughput_unit
from conftest import TEST_DATA

D = TEST_DATA / "io" / "netperf"


def _last_number_line(name):
    lines = [ln.split() for ln in (D / name).read_text().splitlines()]
    return [ln for ln in lines if ln and re.match(r"^\d", ln[0])][0]


# hand-computed factors: -f m/g/k = 10^6/10^9/10^3 bit/s; M/G/K = 2^20/2^30/2^10 BYTES/s * 8
@pytest.mark.parametrize("name,factor", [
    ("tcp_stream.txt", 1e6), ("tcp_stream-fg.txt", 1e9), ("tcp_stream-fk.txt", 1e3),
    ("tcp_stream-fM.txt", 8 * 1048576), ("tcp_stream-fG.txt", 8 * 1073741824),
    ("tcp_stream-fK.txt", 8 * 1024), ("tcp_stream-nobanner.txt", 1e6), ("tcp_stream-cpu.txt", 1e6)])
def test_classic_stream_units(name, factor):
    value = float(_last_number_line(name)[4])
    r = read_netperf(D / name).iloc[0]
    assert r.throughput_bps == pytest.approx(value * factor, rel=1e-12)
    assert r.test == "stream" and math.isnan(r.latency_mean_s) and math.isnan(r.transactions_per_s)
    assert 1e9 < r.throughput_bps < 1e12  # loopback: same order whatever the unit letter


def test_unit_table():
    assert throughput_unit("10^9bits/s") == ("bps", 1e9)
    assert throughput_unit("MBytes/sec") == ("bps", 8 * 2 ** 20)
    assert throughput_unit("GBytes/s") == ("bps", 8 * 2 ** 30)
    assert throughput_unit("bogus") == (None, None)


def test_classic_cpu_columns_are_machine_fraction():
    r = read_netperf(D / "tcp_stream-cpu.txt").iloc[0]
    vals = _last_number_line("tcp_stream-cpu.txt")
    assert r.cpu_local_fraction == pytest.approx(float(vals[5]) / 100)
    assert r.cpu_remote_fraction == pytest.approx(float(vals[6]) / 100)
    r = read_netperf(D / "tcp_rr-cpu.txt").iloc[0]
    assert r.cpu_local_fraction == pytest.approx(float(_last_number_line("tcp_rr-cpu.txt")[6]) / 100)


@pytest.mark.parametrize("name,test,proto", [("tcp_rr.txt", "rr", "tcp"), ("tcp_crr.txt", "crr", "tcp"),
                                             ("udp_rr.txt", "rr", "udp"), ("tcp_rr-nobanner.txt", "rr", None)])
def test_classic_rr(name, test, proto):
    r = read_netperf(D / name).iloc[0]
    vals = _last_number_line(name)
    assert r.transactions_per_s == float(vals[5]) and r.test == test
    assert (r.protocol if proto else None) == (proto if proto else None) or proto is None
    assert math.isnan(r.throughput_bps) and math.isnan(r.latency_mean_s)  # never derived from 1/tps


def test_v2_roundtrip_block():
    r = read_netperf(D / "tcp_rr-v2.txt").iloc[0]
    txt = (D / "tcp_rr-v2.txt").read_text().splitlines()
    rt = float(txt[-1].split()[4])
    assert r.latency_mean_s == pytest.approx(rt * 1e-6)


def test_udp_stream_receiver_line():
    r = read_netperf(D / "udp_stream.txt").iloc[0]
    lines = [ln.split() for ln in (D / "udp_stream.txt").read_text().splitlines() if ln[:1].isdigit()]
    assert r.throughput_bps == pytest.approx(float(lines[1][3]) * 1e6)
    assert r.lost_fraction == pytest.approx((float(lines[0][3]) - float(lines[1][2])) / float(lines[0][3]))
    assert r.protocol == "udp" and r.msg_size_bytes == 1400


def test_omni_three_forms_agree_on_rr_fields():
    for name, fmt in (("omni-tcp_rr-o.csv", "netperf-omni-csv"), ("omni-tcp_rr-O.txt", "netperf-omni-columns"),
                      ("omni-tcp_rr-k.txt", "netperf-omni-keyval")):
        r = read_netperf(D / name).iloc[0]
        assert r.format == fmt and r.test == "rr" and r.protocol == "tcp"
        assert r.transactions_per_s > 1000
        assert 1e-6 < r.latency_mean_s < 1e-3 and r.latency_p50_s <= r.latency_p99_s
    k = (D / "omni-tcp_rr-k.txt").read_text()
    r = read_netperf(D / "omni-tcp_rr-k.txt").iloc[0]
    assert r.latency_p99_s == pytest.approx(float(re.search(r"P99_LATENCY=(\S+)", k).group(1)) * 1e-6)
    assert r.latency_mean_s == pytest.approx(float(re.search(r"MEAN_LATENCY=(\S+)", k).group(1)) * 1e-6)


def test_stream_latency_never_in_latency_columns():
    for name in ("omni-tcp_stream-k.txt", "omni-tcp_stream-o.csv"):
        r = read_netperf(D / name).iloc[0]
        assert r.test == "stream" and r.throughput_bps > 0
        assert all(math.isnan(r[c]) for c in ("latency_mean_s", "latency_p50_s", "latency_p90_s", "latency_p99_s"))


def test_omni_units_g():
    r = read_netperf(D / "omni-tcp_stream-fg-k.txt").iloc[0]
    v = float(re.search(r"THROUGHPUT=(\S+)", (D / "omni-tcp_stream-fg-k.txt").read_text()).group(1))
    assert r.throughput_bps == pytest.approx(v * 1e9)


def test_omni_minus_one_is_nan():
    r = read_netperf(D / "omni-rr-k-all.txt").iloc[0]
    assert math.isnan(r.cpu_local_fraction)  # LOCAL_CPU_UTIL=-1.00: not measured


def test_omni_csv_without_names_is_precise():
    with pytest.raises(DataFormatError, match="name line"):
        read_netperf(b"48056.59,Trans/s,20.73,15\n")


def test_corpus_pkb_and_keyval(corpus):
    df = read_netperf(corpus / "netperf-pkb" / "netperf_results.json")
    assert len(df) == 10 and df.record.tolist() == list(range(10))
    assert df.test.tolist()[:6] == ["rr", "rr", "crr", "crr", "stream", "stream"]
    assert df.transactions_per_s[0] == 1405.50 and df.latency_p99_s[0] == pytest.approx(841e-6)
    assert df.throughput_bps[4] == pytest.approx(1187.94e6) and math.isnan(df.latency_p99_s[4])
    assert df.throughput_bps[8] == pytest.approx(1102.42e6) and df.protocol[8] == "udp"
    r = read_netperf(corpus / "netperf-pkb" / "netperf_results.txt").iloc[0]  # wrapped lines, histogram
    assert (r.test, r.protocol, r.transactions_per_s, r.latency_p90_s) == ("rr", "udp", 2217.06, pytest.approx(487e-6))
    r = read_netperf(corpus / "netperf-keyval" / "kubenetbench-tcp_rr.keyval").iloc[0]
    assert r.transactions_per_s == 2841.067 and r.latency_mean_s == pytest.approx(351.66e-6)
    assert r.latency_p50_s == pytest.approx(334e-6) and r.retransmits == 0
