"""qperf reader: values checked against the real files captured here (capture-text-tools.sh)."""
import pytest

from cnimodel.errors import DataFormatError
from cnimodel.io import read
from cnimodel.io.detect import sniff
from conftest import TEST_DATA

Q = TEST_DATA / "io" / "qperf"


def test_plain_lat_and_bw():
    df = read(Q / "lat-bw.txt")
    assert df.series.tolist() == ["tcp_lat", "udp_lat", "tcp_bw", "udp_bw"]
    assert df.test.tolist() == ["rr", "rr", "stream", "stream"]
    assert df.protocol.tolist() == ["tcp", "udp", "tcp", "udp"]
    # latency = 107 us / 37.9 us one-way -> round trip
    assert df.latency_mean_s[:2].tolist() == pytest.approx([214e-6, 75.8e-6])
    # tcp bw = 699 MB/sec; udp recv_bw = 371 MB/sec (send_bw 412 is the sender's)
    assert df.throughput_bps[2:].tolist() == pytest.approx([699e6 * 8, 371e6 * 8])
    assert df.record.tolist() == [0, 1, 2, 3]


def test_verbose_fields():
    df = read(Q / "tcp-v.txt")
    lat, bw = df.iloc[0], df.iloc[1]
    assert lat.latency_mean_s == pytest.approx(2 * 8.45e-6) and lat.duration_s == 2
    assert lat.cpu_local_cores == 2.0 and lat.cpu_remote_cores == 2.0
    assert lat.transactions_per_s != lat.transactions_per_s  # msg_rate counts both directions
    assert bw.throughput_bps == pytest.approx(550e6 * 8)
    r = read(Q / "udp-vv.txt").iloc[1]
    assert r.msg_size_bytes == 32768 and r.throughput_bps == pytest.approx(356e6 * 8)
    assert r.lost_fraction == pytest.approx(1 - 21729 / 30819)
    assert read(Q / "udp-vv.txt").msg_size_bytes[0] == 1


def test_sweeps():
    df = read(Q / "tcp_bw-sweep-v.txt")
    assert df.msg_size_bytes.tolist() == [1024, 2048, 4096, 8192, 16384]
    assert df.throughput_bps[0] == pytest.approx(80.4e6 * 8)
    # powers of ten: 78.5 K/sec x 1024 bytes = 80.4 MB/sec, as printed
    assert 78.5e3 * 1024 == pytest.approx(80.4e6, rel=1e-3)
    plain = read(Q / "tcp_lat-sweep.txt")
    assert len(plain) == 9 and plain.msg_size_bytes.isna().all()  # sizes not printed: not guessed
    assert plain.latency_mean_s[0] == pytest.approx(2 * 8.28e-6)


def test_units_ns_and_errors():
    assert read(Q / "tcp_lat-uu.txt").latency_mean_s[0] == pytest.approx(2 * 8697e-9)
    with pytest.raises(DataFormatError, match=r"qperf's error message \(could not connect\)"):
        read(Q / "noserver.txt")


def test_detection():
    for p in Q.iterdir():
        assert sniff(p.read_bytes()) == "qperf", p
