"""iperf2 reader: real iperf 2.1.8 captures (tests/data/io/iperf2, README there), two
constructed forms (2.0 UDP client with the relayed server report, 2.2 header), the corpus.

Expected values are copied from the file lines named in the comments (rates in bit/s,
byte counts in bytes, jitter in ms in the file -> s in the row)."""
import math
from datetime import datetime, timezone

import pandas as pd
import pytest

from cnimodel.errors import DataFormatError
from cnimodel.io import read, read_iperf2
from cnimodel.io.detect import sniff
from conftest import TEST_DATA

D = TEST_DATA / "io" / "iperf2"


def _read(name):
    return read_iperf2(D / f"iperf2_2.1.8_{name}.csv")


def _utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def _nan(*values):
    return all(math.isnan(v) for v in values)


def test_tcp_client_and_server_single_stream():
    df = _read("tcp_client")
    assert len(df) == 1
    r = df.iloc[0]
    # last line: 20261126145852,...,0.0-2.0,5628100668,22389373066
    assert (r.throughput_bps, r.duration_s, r.protocol, r.streams) == (22389373066, 2.0, "tcp", 1)
    assert (r.direction, r.test, r.format, r.record) == ("send", "stream", "iperf2-csv", 0)
    # first line 0.0-1.0 stamped 20261126145851 (the interval's end): start one second before
    assert r.timestamp == _utc(2026, 11, 26, 14, 58, 50)
    assert _nan(r.lost_fraction, r.jitter_s, r.retransmits) and pd.isna(r.bidir)
    # the server's file: its own measured rate; 2.1+ prints the sender first on both sides,
    # so the server's file reads as its client's view (send)
    r = _read("tcp_server").iloc[0]
    assert (r.throughput_bps, r.duration_s, r.direction) == (22503704990, 2.0, "send")


def test_tcp_parallel_streams_are_added_without_sum_lines():
    # 2.1.8 prints no SUM (-1) line in CSV, even with --sum-only
    for name, expect in [("tcp_P2_client", 19991103712 + 14480755882),  # ids 1, 2: 0.0-2.0 lines
                         ("tcp_P2_server", 14584749907 + 20148199642),
                         ("tcp_P2_sumonly_client", 13805302523 + 14009508770)]:
        raw = (D / f"iperf2_2.1.8_{name}.csv").read_text()
        assert ",-1," not in raw
        r = _read(name).iloc[0]
        assert (r.throughput_bps, r.streams, r.duration_s, r.direction) == (expect, 2, 2.0, "send")


def test_enhanced_e_has_milliseconds_and_no_header():
    raw = (D / "iperf2_2.1.8_tcp_e_client.csv").read_text()
    assert raw.startswith("20261126145906.716,")  # -e in 2.1.8: same 9 fields, time with ms
    r = _read("tcp_e_client").iloc[0]
    assert r.format == "iperf2-csv" and r.throughput_bps == 16765491172
    assert r.timestamp == _utc(2026, 11, 26, 14, 59, 5, 716000)
    r = _read("tcp_triptimes_server").iloc[0]  # --trip-times changes nothing in 2.1.8 CSV
    assert r.throughput_bps == 28905581593 and r.duration_s == 2.0


def test_summary_without_intervals_has_no_time():
    # without -i, 2.1.8 stamps the only line 19700101000000 (its unset report time)
    r = _read("tcp_noi_client").iloc[0]
    assert r.throughput_bps == 17616223126 and pd.isna(r.timestamp)
    r = _read("udp_noi_server").iloc[0]
    assert (r.throughput_bps, r.lost_fraction, r.jitter_s) == (104873222, 0.0, pytest.approx(1e-6))
    # the same unset time printed in a zone west of UTC
    line = b"19691231190000,10.0.0.2,40000,10.0.0.1,5001,1,0.0-2.0,2500,10000\n"
    assert pd.isna(read_iperf2(line).timestamp[0])


def test_reverse_R_client_receives():
    r = _read("tcp_R_client").iloc[0]  # 198.19.250.1,5001,198.19.250.2,35390: the server sends
    assert (r.direction, r.throughput_bps) == ("receive", 21106993743)


def test_tradeoff_r_two_rows_one_after_the_other():
    df = _read("tcp_r_client")
    assert df.direction.tolist() == ["send", "receive"] and df.record.tolist() == [0, 1]
    assert df.throughput_bps.tolist() == [20042379112, 19335220187]  # id 1 and id 2 0.0-2.0 lines
    assert df.bidir.isna().all()  # sequential, not simultaneous
    assert df.timestamp.tolist() == [_utc(2026, 11, 26, 14, 59, 20), _utc(2026, 11, 26, 14, 59, 22)]
    # the server's file has iperf's text banner between the two transfers
    df = _read("tcp_r_server")
    assert df.throughput_bps.tolist() == [20107394574, 19232077658]


@pytest.mark.parametrize("name, send, recv", [
    ("tcp_d_client", 15021393811, 22058927177),
    ("tcp_d_server", 15098379514, 21722889533),            # starts with a text banner
    ("tcp_fullduplex_client", 21862819932, 3083518921),    # receive line: 198.19.250.1,5001,::,0
    ("tcp_fullduplex_server", 21856514627, 3087489765),    # both directions have transfer id 1
])
def test_simultaneous_bidirectional_two_rows(name, send, recv):
    df = _read(name)
    assert df.direction.tolist() == ["send", "receive"]
    assert df.throughput_bps.tolist() == [send, recv]
    assert df.bidir.tolist() == [True, True] and df.streams.tolist() == [1, 1]


def test_udp_server_report_gives_receiver_rate_loss_jitter():
    r = _read("udp_server").iloc[0]
    # 0.0-2.0,26220390,104872960,0.002,0,17837,0.000,0
    assert (r.protocol, r.throughput_bps, r.lost_fraction) == ("udp", 104872960, 0.0)
    assert r.jitter_s == pytest.approx(0.002e-3)
    # -b 3G: the receiver got half: 0.0-2.0,263043270,1052174658,0.000,189098,368039,51.380,0
    r = _read("udp_loss_server").iloc[0]
    assert r.throughput_bps == 1052174658 and r.lost_fraction == pytest.approx(189098 / 368039)
    assert r.jitter_s == 0.0
    r = _read("udp_e_server").iloc[0]
    assert r.throughput_bps == 104873320 and r.jitter_s == pytest.approx(0.001e-3)


def test_udp_client_alone_has_no_received_figures():
    # 2.1.8 client: its own sending report only (total -1 in the summary), no server report;
    # its 2164048761 bit/s were sent, 1052174658 arrived (the server's file above)
    for name in ("udp_client", "udp_loss_client", "udp_e_client", "udp_noi_client", "udp_R_server"):
        r = _read(name).iloc[0]
        assert r.protocol == "udp" and r.duration_s == 2.0
        assert _nan(r.throughput_bps, r.lost_fraction, r.jitter_s), name


def test_udp_parallel_streams_add_counts_and_average_jitter():
    r = _read("udp_P2_server").iloc[0]
    # 0.0-2.0 lines: 52444912 bit/s, 0.001 ms, 0/8920 and 52441884 bit/s, 0.001 ms, 1/8920
    assert (r.throughput_bps, r.streams) == (52444912 + 52441884, 2)
    assert r.lost_fraction == pytest.approx((0 + 1) / (8920 + 8920))
    assert r.jitter_s == pytest.approx((0.001 + 0.001) / 2 / 1000)
    assert _nan(_read("udp_P2_client").throughput_bps[0])


def test_udp_reverse_and_dualtest():
    r = _read("udp_R_client").iloc[0]  # the client received: 0.0-2.0,...,105081591,0.001,0,17835
    assert (r.direction, r.throughput_bps, r.lost_fraction) == ("receive", 105081591, 0.0)
    assert r.jitter_s == pytest.approx(1e-6)
    df = _read("udp_d_client")  # the client sent id 1 (total -1) and received id 2
    assert df.direction.tolist() == ["send", "receive"] and df.bidir.tolist() == [True, True]
    assert math.isnan(df.throughput_bps[0]) and df.throughput_bps[1] == 52434150
    df = _read("udp_d_server")  # the server received id 1 (8920 datagrams) and sent id 2
    assert df.throughput_bps[0] == 52439610 and math.isnan(df.throughput_bps[1])


def test_constructed_2_0_udp_client_uses_relayed_server_report():
    # 2.0: the client's own lines have 9 fields, the relayed server report 14 (same addresses)
    r = read_iperf2(D / "constructed-2.0-udp-client-with-server-report.csv").iloc[0]
    assert (r.direction, r.protocol, r.throughput_bps) == ("send", "udp", 1e9)
    assert r.lost_fraction == pytest.approx(8503 / 178571) and r.jitter_s == pytest.approx(0.05e-3)


def test_constructed_2_2_header_sum_line_retries_and_zone():
    r = read_iperf2(D / "constructed-2.2-enhanced-tcp-P2.csv").iloc[0]
    # SUM summary: -0800:20260218111300.511098,10.1.0.2,0,10.2.0.2,5001,-1,0.0,2.0,1950000000,
    # 7800000000,14878,0,6,... (tcpretry 6 = 5 + 1 of the streams)
    assert (r.format, r.throughput_bps, r.streams, r.retransmits) == ("iperf2-enhanced", 7.8e9, 2, 6)
    # first line stamped 11:12:59.511098 at -0800 for 0.0-1.0: start 19:12:58.511098 UTC
    assert abs(r.timestamp.timestamp() - _utc(2026, 2, 18, 19, 12, 58, 511098).timestamp()) < 1e-5


# lines of iperf 2.1.9 and 2.2.0 -e -y C output quoted in kubernetes test/e2e/network
# (iperf2 e2e utilities); the 0.0-2.0 summary lines are written here
K8S_219 = (b"+0000:20240908113035.128,192.168.9.3,58256,192.168.9.4,5001,1,0.0-1.0,5220466748,41763733984,-1,-1,-1,-1,0,0\n"
           b"+0000:20240908113036.128,192.168.9.3,58256,192.168.9.4,5001,1,1.0-2.0,5127667712,41021341696,-1,-1,-1,-1,0,0\n"
           b"+0000:20240908113036.128,192.168.9.3,58256,192.168.9.4,5001,1,0.0-2.0,10348134460,41392537840,-1,-1,-1,-1,0,0\n")
K8S_220 = (b"time,srcaddress,srcport,dstaddr,dstport,transferid,istart,iend,bytes,speed,writecnt,writeerr,tcpretry,tcpcwnd,tcppcwnd,tcprtt,tcprttvar\n"
           b"+0000:20250605191028.955,10.244.2.64,43380,10.96.223.154,6789,1,0.0,1.0,7817396288,62539170304,-1,-1,4294967295,-1,4294967295,0,0\n"
           b"+0000:20250605191029.955,10.244.2.64,43380,10.96.223.154,6789,1,1.0,2.0,7550795776,60406366208,-1,-1,4294967295,-1,4294967295,0,0\n"
           b"+0000:20250605191029.955,10.244.2.64,43380,10.96.223.154,6789,1,0.0,2.0,15368192064,61472768256,-1,-1,4294967295,-1,4294967295,0,0\n")


def test_2_1_9_tcp_enhanced_extra_integer_fields_are_not_udp():
    r = read_iperf2(K8S_219).iloc[0]
    assert (r.protocol, r.throughput_bps, r.direction) == ("tcp", 41392537840, "send")
    assert r.timestamp == _utc(2024, 9, 8, 11, 30, 34, 128000)


def test_2_2_unmeasured_tcp_counter_is_nan():
    r = read_iperf2(K8S_220).iloc[0]  # tcpretry 4294967295 = (uint32) -1: not measured
    assert r.throughput_bps == 61472768256 and math.isnan(r.retransmits)


def test_2_2_udp_header_names_errors_and_datagrams():
    # header names from iperf2's Locale.c (reportCSV_bw_udp_read_enhanced_header)
    head = ("time,srcaddress,srcport,dstaddr,dstport,transferid,istart,iend,bytes,speed,jitter,"
            "errors,datagrams,errpercent,outoforder,{cnt},readtimeo,readerrlen,pps\n")
    line = "+0100:20250101120002.000,10.0.0.2,40000,10.0.0.1,5001,1,0.0,2.0,2500000,10000000,0.250,10,1700,0.588,0,1690,0,0,850.0\n"
    r = read_iperf2((head.format(cnt="readcnt") + line).encode()).iloc[0]
    assert (r.protocol, r.throughput_bps, r.lost_fraction) == ("udp", 1e7, pytest.approx(10 / 1700))
    assert r.jitter_s == pytest.approx(0.25e-3) and r.timestamp == _utc(2025, 1, 1, 11, 0, 0)
    r = read_iperf2((head.format(cnt="writecnt") + line).encode()).iloc[0]  # a sender's report
    assert _nan(r.throughput_bps, r.lost_fraction, r.jitter_s)


def test_errors_are_precise():
    with pytest.raises(DataFormatError, match="line 1 field 7"):
        read_iperf2(b"20200316143919,1.2.3.4,1,5.6.7.8,5001,3,zero-one,1,2\n")
    lines = (D / "iperf2_2.1.8_tcp_client.csv").read_bytes().splitlines(keepends=True)
    with pytest.raises(DataFormatError, match="line 2.*whole-test summary"):
        read_iperf2(b"".join(lines[:2]))  # cut before the 0.0-2.0 summary line
    with pytest.raises(DataFormatError, match="line 2: expected an iperf2 CSV report line"):
        read_iperf2(lines[0] + b"[  1] 0.0-1.0 sec 2.7 GBytes\n" + lines[2])
    with pytest.raises(DataFormatError, match="line 1 time"):
        read_iperf2(b"2026112614585,1.2.3.4,1,5.6.7.8,5001,3,0.0-1.0,1,2\n")
    with pytest.raises(DataFormatError, match="transferid"):
        read_iperf2(b"time,srcaddress,bytes,speed\n")


def test_banner_must_close_before_report_lines():
    raw = (D / "iperf2_2.1.8_tcp_d_server.csv").read_bytes().split(b"\n")
    del raw[3]  # the closing line of dashes
    with pytest.raises(DataFormatError, match="line 4: expected the line of dashes closing"):
        read_iperf2(b"\n".join(raw))


def test_2_2_two_headers_each_line_read_with_the_header_of_its_width():
    # a 2.2 bidirectional run prints a write (17 columns) and a read (19 columns) header
    read_head = (b"time,srcaddress,srcport,dstaddr,dstport,transferid,istart,iend,bytes,speed,"
                 b"readcnt,bin0,bin1,bin2,bin3,bin4,bin5,bin6,bin7\n")
    lines = K8S_220.splitlines(keepends=True)
    rev = b"+0000:20250605191029.955,10.96.223.154,6789,10.244.2.64,5001,2,0.0,2.0,1000,4000,9,9,0,0,0,0,0,0,0\n"
    writes = b"".join(lines[1:]).replace(b",-1,-1,4294967295,", b",-1,-1,7,")  # tcpretry 7
    df = read_iperf2(lines[0] + read_head + writes + rev)
    assert df.direction.tolist() == ["send", "receive"] and df.throughput_bps.tolist() == [61472768256, 4000]
    assert df.retransmits[0] == 7 and math.isnan(df.retransmits[1])  # the read lines have no tcpretry


BANNER_FIRST = {"iperf2_2.1.8_tcp_d_server.csv", "iperf2_2.1.8_udp_d_server.csv"}


@pytest.mark.parametrize("path", sorted(D.glob("*.csv")), ids=lambda p: p.name)
def test_every_fixture_is_detected_and_read(path):
    assert sniff(path.read_bytes()) == "iperf2"      # also the -d servers' files, banner first
    assert read(path).equals(read_iperf2(path))
    if path.name in BANNER_FIRST:
        assert len(read(path)) == 2


def test_corpus_tcp_summary_line(corpus):
    r = read_iperf2(corpus / "iperf2-csv" / "tcp-with-summary.csv").iloc[0]
    # 2.0 server (local port 5001 first), last line: 0.0-60.0, 4831445028 bytes, 643970672 bit/s
    assert (r.throughput_bps, r.duration_s, r.direction, r.protocol) == (643970672, 60.0, "receive", "tcp")
    assert r.timestamp == _utc(2019, 12, 8, 13, 27, 10)  # first line 0.0-1.0 at 20191208132711
    r = read_iperf2(corpus / "iperf2-csv" / "tcp-download-5g.csv").iloc[0]
    assert (r.throughput_bps, r.duration_s, r.direction) == (15176919, pytest.approx(300.2), "send")


def test_corpus_udp_server_report(corpus):
    r = read_iperf2(corpus / "iperf2-csv" / "udp-upload-server.csv").iloc[0]
    # 0.0-600.0,61085898510,814487747,0.348,7097512,48652545,14.588,422
    assert r.protocol == "udp" and r.throughput_bps == 814487747
    assert r.lost_fraction == pytest.approx(7097512 / 48652545)
    assert r.jitter_s == pytest.approx(0.348e-3) and r.direction == "receive"


def test_zone_prefixed_lines_are_detected():
    """2.1.9+ prefix the time with a UTC offset; the detector accepts it (header-less file)."""
    line = b"+0000:20250605191029.955,10.96.223.154,6789,10.244.2.64,5001,2,0.0,2.0,1000,4000\n"
    assert sniff(line) == "iperf2"
