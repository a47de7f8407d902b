"""iperf3 human-text reader: values checked against the real 3.12 files captured here
(tests/data/io/README.md, capture-text-tools.sh)."""
import pytest

from cnimodel.errors import DataFormatError
from cnimodel.io import read
from cnimodel.io.detect import sniff
from conftest import TEST_DATA

T = TEST_DATA / "io" / "iperf3-text"


def test_tcp_client_and_server():
    c = read(T / "tcp-client.txt").iloc[0]
    # [  6]   0.00-2.01   sec  1.21 GBytes  5.17 Gbits/sec   receiver; sender Retr 1211
    assert (c.tool, c.format, c.protocol, c.direction, c.streams) == ("iperf3", "iperf3-text", "tcp",
                                                                     "send", 1)
    assert c.throughput_bps == pytest.approx(5.17e9) and c.retransmits == 1211
    assert c.duration_s == pytest.approx(2.01)
    s = read(T / "tcp-server.txt").iloc[0]
    assert s.throughput_bps == pytest.approx(5.17e9) and s.retransmits != s.retransmits


def test_parallel_sum_reverse_bidir():
    r = read(T / "tcp-P2-client.txt").iloc[0]
    assert r.streams == 2 and r.throughput_bps == pytest.approx(7.71e9) and r.retransmits == 38
    r = read(T / "tcp-R-client.txt").iloc[0]
    assert r.direction == "receive" and r.throughput_bps == pytest.approx(7.58e9)
    assert read(T / "tcp-R-server.txt").direction.tolist() == ["receive"]
    df = read(T / "tcp-bidir-client.txt").set_index("direction")
    assert df.bidir.all() and df.throughput_bps.to_dict() == pytest.approx(
        {"send": 2.81e9, "receive": 2.47e9})
    assert df.retransmits["send"] == 45
    srv = read(T / "tcp-bidir-server.txt").set_index("direction")  # the client's view
    assert srv.throughput_bps["send"] == pytest.approx(2.81e9)


def test_every_unit_prefix():
    # -f K: 841987 KBytes/sec (2^10 bytes); -f k: 6006664 Kbits/sec (10^3 bits)
    assert read(T / "tcp-fK-client.txt").throughput_bps[0] == pytest.approx(841987 * 1024 * 8)
    assert read(T / "tcp-fk-client.txt").throughput_bps[0] == pytest.approx(6006664e3)
    for f in ("fM", "fG", "fm", "fg"):
        df = read(T / f"tcp-{f}-client.txt")
        assert 1e9 < df.throughput_bps[0] < 2e10


def test_coarse_rate_is_rejected_not_rounded():
    with pytest.raises(DataFormatError, match="1 significant digit in Tbits/sec"):
        read(T / "tcp-ft-client.txt")


def test_omitted_verbose_and_udp():
    r = read(T / "tcp-O1-client.txt").iloc[0]
    assert r.duration_s == 3.0 and r.throughput_bps == pytest.approx(6.76e9)
    v = read(T / "tcp-V-client.txt").iloc[0]
    assert (v.tool_version, v.mss_bytes, v.cpu_local_cores) == ("3.12", 1448, pytest.approx(0.172))
    assert v.timestamp.isoformat() == "2026-12-04T00:49:33+00:00"
    u = read(T / "udp-client.txt").iloc[0]
    # receiver: 99.7 Mbits/sec  0.030 ms  20/17263 (0.12%)
    assert u.throughput_bps == pytest.approx(99.7e6) and u.lost_fraction == pytest.approx(20 / 17263)
    assert u.jitter_s == pytest.approx(30e-6)


def test_errors_and_sender_only_udp():
    with pytest.raises(DataFormatError, match=r"line 1: .*'iperf3: error - ...' line, an error "
                       r"message \(connection refused; could not connect\)") as ei:
        read(T / "error-refused-client.txt")
    assert "Connection refused" not in str(ei.value)  # described, not quoted (issue 16)
    with pytest.raises(DataFormatError, match="UDP receiver line"):
        read(T / "udp-R-server.txt")


def test_zero_receiver_text():
    raw = (T / "tcp-n10K-client.txt").read_text()
    broken = raw.replace("128 KBytes  5.52 Gbits/sec                  receiver",
                         "0.00 Bytes  0.00 bits/sec                  receiver")
    assert broken != raw
    with pytest.raises(DataFormatError, match="0 bytes received"):
        read(broken.encode())


def test_detection():
    for p in T.glob("*.txt"):
        assert sniff(p.read_bytes()) == "iperf3-text", p


def test_server_udp_bidir_keeps_the_received_flow():
    # the server's --bidir UDP file: [RX-S] has its receiver line, [TX-S] (what the server
    # sent) only its sender line; the received flow is kept, the sent one is a finding
    df = read(T / "udp-bidir-server.txt")
    assert len(df) == 1
    r = df.iloc[0]
    # [  6][RX-S] 0.00-2.00 sec 11.9 MBytes 50.0 Mbits/sec 0.003 ms 0/8631 (0%) receiver
    assert (r.direction, bool(r.bidir), r.protocol) == ("send", True, "udp")  # the client's view
    assert r.throughput_bps == pytest.approx(50.0e6) and r.lost_fraction == 0
    assert r.jitter_s == pytest.approx(3e-6)
    (f,) = df.attrs["findings"]
    assert "record 0" in f.location and "TX-S" in f.reason and "not kept" in f.reason
    # the client file holds both receiver lines: two rows, no finding
    both = read(T / "udp-bidir-client.txt")
    assert len(both) == 2 and both.attrs["findings"] == []
