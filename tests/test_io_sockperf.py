"""sockperf reader: values checked against the real files captured here (capture-text-tools.sh)."""
import pandas as pd
import pytest

from cnimodel.errors import DataFormatError
from cnimodel.io import read
from cnimodel.io.detect import sniff
from conftest import TEST_DATA

SP = TEST_DATA / "io" / "sockperf"


def test_ping_pong_half_rtt_becomes_round_trip():
    r = read(SP / "ping-pong-udp.txt").iloc[0]
    assert (r.tool, r.tool_version, r.protocol, r.test, r.series) == (
        "sockperf", "3.7-no.git", "udp", "rr", "ping-pong")
    # avg-latency=9.208 (std-dev=103.942) usec, half round trip
    assert r.latency_mean_s == pytest.approx(2 * 9.208e-6)
    assert r.latency_stddev_s == pytest.approx(2 * 103.942e-6)
    assert r.latency_p50_s == pytest.approx(2 * 3.024e-6)
    assert r.latency_p90_s == pytest.approx(2 * 4.563e-6)
    assert r.latency_p99_s == pytest.approx(2 * 9.475e-6)
    assert r.latency_min_s == pytest.approx(2 * 2.725e-6)
    assert r.latency_max_s == pytest.approx(2 * 3876.640e-6)
    # [Valid Duration] RunTime=1.552 sec; SentMessages=84062; ReceivedMessages=84062
    assert r.duration_s == 1.552 and r.transactions_per_s == pytest.approx(84062 / 1.552)
    assert r.lost_fraction == 0


def test_full_rtt_is_kept_as_printed():
    r = read(SP / "ping-pong-udp-full-rtt.txt").iloc[0]
    assert r.latency_mean_s == pytest.approx(15.114e-6)  # avg-rtt=15.114
    assert r.latency_min_s == pytest.approx(5.442e-6)


def test_terminal_log_with_colour_and_crlf():
    r = read(SP / "ping-pong-udp.tty").iloc[0]
    assert r.latency_mean_s == pytest.approx(2 * 7.033e-6)
    assert r.transactions_per_s == pytest.approx(109670 / 1.548)


def test_tcp_and_under_load():
    assert read(SP / "ping-pong-tcp.txt").iloc[0].latency_mean_s == pytest.approx(2 * 8.920e-6)
    r = read(SP / "under-load-udp.txt").iloc[0]
    assert r.series == "under-load" and r.latency_mean_s == pytest.approx(2 * 6.913e-6)
    assert r.transactions_per_s != r.transactions_per_s  # only every Nth answered: no rate


def test_throughput_tcp_from_message_rate():
    r = read(SP / "throughput-tcp.txt").iloc[0]
    assert (r.test, r.protocol, r.msg_size_bytes) == ("stream", "tcp", 1400)
    assert r.throughput_bps == pytest.approx(129764 * 1400 * 8)  # not 1386.029e6 (2^20 units)


def test_udp_throughput_and_no_server_are_rejected_with_reason():
    with pytest.raises(DataFormatError, match="SENDER's message rate"):
        read(SP / "throughput-udp.txt")
    with pytest.raises(DataFormatError, match=r"sockperf.s error message \(no reply from the server\)"):
        read(SP / "ping-pong-noserver.txt")


def test_detection():
    for p in SP.iterdir():
        assert sniff(p.read_bytes()) == "sockperf", p


MV = TEST_DATA / "io" / "public" / "microvm-sockperf"


def test_public_310_extended_statistics_and_log_prefix():
    # bookpanda/microvm-networking (tests/data/io/README.md): sockperf 3.10's extended
    # "avg-latency=67.798 (std-dev=17.156, mean-ad=9.381, ...)" line, an excerpt without the
    # "[ 0] IP = ..." header; half round trips doubled (the schema keeps round trips)
    r = read(MV / "vm_server-ping-pong.txt").iloc[0]
    assert pd.isna(r.protocol)
    assert r.latency_mean_s == pytest.approx(2 * 67.798e-6)
    assert r.latency_stddev_s == pytest.approx(2 * 17.156e-6)
    assert (r.latency_p50_s, r.latency_p99_s) == pytest.approx((2 * 65.509e-6, 2 * 132.527e-6))
    assert (r.latency_min_s, r.latency_max_s) == pytest.approx((2 * 40.071e-6, 2 * 414.500e-6))
    assert r.transactions_per_s == pytest.approx(215839 / 29.550) and r.lost_fraction == 0
    # every line behind a "[STDOUT] " log prefix
    p = read(MV / "bm-bm-ping-pong-stdout-prefix.txt").iloc[0]
    assert p.latency_mean_s == pytest.approx(2 * 32.867e-6) and p.duration_s == 29.550


def test_31_wording_avg_lat():
    # sockperf 3.1 prints "avg-lat=" (half round trip, like 3.7's "avg-latency="): the real
    # 3.10 excerpt above with that one word changed reads the same
    raw = (MV / "vm_server-ping-pong.txt").read_bytes().replace(b"avg-latency=", b"avg-lat=  ")
    assert read(raw).latency_mean_s[0] == pytest.approx(2 * 67.798e-6)
