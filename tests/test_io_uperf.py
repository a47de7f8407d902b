"""uperf master output (issue 14 point 5): real outputs from learnitall/gobench
(tests/data/io/README.md), values checked against the files."""
import pandas as pd
import pytest

from cnimodel.errors import DataFormatError
from cnimodel.io import read
from cnimodel.io.detect import sniff
from conftest import TEST_DATA

U = TEST_DATA / "io" / "public" / "gobench-uperf"


def test_stream_with_every_statistic():
    # uperf -T -t -f -g -k -p -e -E -a -v -m iperf.xml: the flowop table shows only writes,
    # so the master sent; the receiver is the slave row of Run Statistics:
    # 127.0.0.1   32.33s  58.40GB  15.51Gb/s  7654453  0.00
    df = read(U / "uperf-TtfgkpeEav-m-iperf.txt")
    r = df.iloc[0]
    assert (r.tool, r.format, r.series, r.test, r.direction, r.streams) == \
        ("uperf", "uperf", "iperf", "stream", "send", 1)
    assert r.throughput_bps == pytest.approx(15.51e9) and r.duration_s == pytest.approx(32.33)
    assert pd.isna(r.protocol)  # the profile name does not say
    # the master counted 66.11 GB, the slave 58.40 GB: uperf's own Difference(%) 11.66 %
    (f,) = df.attrs["findings"]
    assert "line 68" in f.location and "+11.7%" in f.reason and "receiver's count is kept" in f.reason


def test_raw_mode_as_k8s_netperf_runs_it():
    # -R: timestamp_ms lines instead of the human ones; Run Statistics still printed:
    # 127.0.0.1   31.74s  69.67GB  18.86Gb/s  9132343  0.00
    raw = (U / "uperf-TtfgkpeEavR-m-iperf.txt").read_bytes()
    assert sniff(raw) == "uperf"
    r = read(raw).iloc[0]
    assert r.throughput_bps == pytest.approx(18.86e9) and r.duration_s == pytest.approx(31.74)
    # k8s-netperf runs uperf through a terminal: CRLF line ends read the same
    crlf = read(raw.replace(b"\n", b"\r\n")).iloc[0]
    assert crlf.throughput_bps == r.throughput_bps


def test_unknown_direction_is_rejected_with_reason():
    # uperf -m iperf.xml: no flowop table and a profile name without stream/rr: the received
    # rate cannot be told from the sent one
    with pytest.raises(DataFormatError, match="flowop table .*-f or -a"):
        read(U / "uperf-m-iperf.txt")


def test_request_response_and_failures_are_rejected_with_reason():
    raw = (U / "uperf-TtfgkpeEav-m-iperf.txt").read_text()
    rr = raw.replace("disconnect             1", "read             8664520      3.46us      0.00ns"
                     "      4.11ms     22.89us \ndisconnect             1")
    with pytest.raises(DataFormatError, match="request/response"):
        read(rr.encode())
    errs = raw.replace("8664523        0.00", "8664523        3.00")
    with pytest.raises(DataFormatError, match="3 errors on the master"):
        read(errs.encode())
    cut = raw[: raw.index("Total ")]
    with pytest.raises(DataFormatError, match="Total line.*did not finish"):
        read(cut.encode())
    refused = ("Starting 1 threads running profile:stream-tcp-64-1 ...   0.00 seconds\n"
               "** TCP: Cannot connect to 198.18.0.1:20000 Connection refused\n")
    with pytest.raises(DataFormatError, match=r"uperf's error message \(connection refused"):
        read(refused.encode())
