"""ping and fping readers: values checked against the real files captured here
(tests/data/io/README.md, capture-text-tools.sh)."""
import pytest

from cnimodel.errors import DataFormatError
from cnimodel.io import read
from cnimodel.io.detect import sniff
from conftest import TEST_DATA

IO = TEST_DATA / "io"


def test_ping_summary():
    r = read(IO / "ping" / "ping-c5.txt").iloc[0]
    assert (r.tool, r.format, r.test, r.protocol, r.series) == ("ping", "ping", "rr", "icmp",
                                                                 "198.18.214.1")
    # rtt min/avg/max/mdev = 0.050/0.066/0.112/0.023 ms, 5 transmitted, 5 received
    assert r.latency_min_s == pytest.approx(50e-6) and r.latency_mean_s == pytest.approx(66e-6)
    assert r.latency_max_s == pytest.approx(112e-6) and r.latency_stddev_s == pytest.approx(23e-6)
    assert r.lost_fraction == 0 and r.msg_size_bytes == 56


def test_ping_quiet_and_timestamps():
    assert read(IO / "ping" / "ping-c5-q.txt").latency_mean_s.iloc[0] == pytest.approx(48e-6)
    r = read(IO / "ping" / "ping-s1400-D.txt").iloc[0]
    assert r.msg_size_bytes == 1400 and r.latency_mean_s == pytest.approx(53e-6)
    assert r.timestamp.timestamp() == pytest.approx(1796345468.011453)


def test_ping_error_is_rejected_with_its_message_described():
    with pytest.raises(DataFormatError, match=r"ping's error message \(a broadcast address\)") as ei:
        read(IO / "ping" / "ping-loss-all.txt")
    assert "firewall" not in str(ei.value)  # described in fixed words, not quoted (issue 16)


def test_ping_interrupted_before_summary_uses_replies():
    raw = (IO / "ping" / "ping-c5.txt").read_bytes()
    r = read(raw[:raw.index(b"\n---")]).iloc[0]
    assert r.latency_mean_s == pytest.approx((112 + 50 + 63 + 53 + 54) / 5 * 1e-6)
    assert r.lost_fraction != r.lost_fraction  # unknown: NaN


def test_fping_summary_with_stderr():
    df = read(IO / "fping" / "fping-c5-2to1.txt")
    r = df.iloc[0]
    assert (r.tool, r.series, r.protocol, r.msg_size_bytes) == ("fping", "198.18.214.1", "icmp", 56)
    # xmt/rcv/%loss = 5/5/0%, min/avg/max = 0.046/0.056/0.063
    assert (r.latency_min_s, r.latency_mean_s, r.latency_max_s) == pytest.approx((46e-6, 56e-6, 63e-6))
    assert r.lost_fraction == 0


def test_fping_two_targets_one_unreachable():
    df = read(IO / "fping" / "fping-c3-two-targets-2to1.txt")
    assert df.series.tolist() == ["198.18.214.1", "198.18.214.3"]
    assert df.lost_fraction.tolist() == [0.0, 1.0]
    assert df.latency_mean_s.iloc[0] == pytest.approx(41e-6) and df.latency_mean_s.isna().iloc[1]


def test_fping_C_list_and_e():
    r = read(IO / "fping" / "fping-C5-q-2to1.txt").iloc[0]
    times = [0.025, 0.045, 0.070, 0.059, 0.049]
    assert r.latency_mean_s == pytest.approx(sum(times) / 5 * 1e-3)
    assert r.latency_min_s == pytest.approx(25e-6) and r.lost_fraction == 0
    assert read(IO / "fping" / "fping-e.txt").latency_mean_s.iloc[0] == pytest.approx(25e-6)


def test_fping_stdout_only_has_no_summary_but_reads_nothing_wrong():
    with pytest.raises(DataFormatError, match="fping per-target results"):
        read(IO / "fping" / "fping-c5-stdout.txt")


@pytest.mark.parametrize("rel", ["ping/ping-c5.txt", "ping/ping-c5-q.txt", "fping/fping-e.txt",
                                 "fping/fping-C5-q-2to1.txt", "fping/fping-c5-stdout.txt"])
def test_detection(rel):
    assert sniff((IO / rel).read_bytes()) in ("ping", "fping")
