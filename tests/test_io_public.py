"""Real files from public repositories (issue 14, the reviewers' kinds of folders): cross-cloud
iperf3 3.9 text and JSON side by side (kfirtoledo/CloudPilot_Project), iperf3 3.0.11 JSON and
ping inside a console log (ipop-project).  Provenance: tests/data/io/README.md."""
import pytest

from cnimodel.errors import DataFormatError
from cnimodel.io import load_dataset, read
from conftest import TEST_DATA

P = TEST_DATA / "io" / "public"
CP = P / "cloudpilot-iperf3.9"
IPOP = P / "ipop-iperf3.0.11"


def test_cross_cloud_39_text_beside_json():
    # bw_host_target_direct.res: iperf3 3.9 human text, CRLF (captured through kubectl -t),
    # --omit 3: "[  5]   0.00-10.16  sec   130 MBytes   108 Mbits/sec   receiver"
    r = read(CP / "bw_host_target_direct.res").iloc[0]
    assert (r.format, r.protocol, r.direction) == ("iperf3-text", "tcp", "send")
    assert r.throughput_bps == pytest.approx(108e6) and r.duration_s == pytest.approx(10.16)
    assert r.retransmits == 0


def test_39_fixed_size_runs_are_rejected_with_reason_not_read():
    # -n 10K runs (the case): sum_received.bytes 0 while sum_sent.bytes 39424 ...
    with pytest.raises(DataFormatError, match="0 bytes received while the sender reports 39424"):
        read(CP / "small_file_host_target_direct.res")
    # ... or 14080 of 39424: TCP cannot deliver less than half in a completed run
    with pytest.raises(DataFormatError, match="14080 bytes received of 39424 sent"):
        read(CP / "10k_file_host_target_direct_0.res")
    # text typed before the document ("^[[F", an End key in a terminal) and 0 of 56320
    with pytest.raises(DataFormatError, match="0 bytes received while the sender reports 56320"):
        read(CP / "10k_file_host_proxy_proxy_3.res")


def test_the_folder_reads_or_rejects_every_file(tmp_path):
    import shutil

    ds = tmp_path / "cross-cloud" / "host"
    ds.mkdir(parents=True)
    for f in list(CP.iterdir()) + list(IPOP.iterdir()):
        shutil.copy(f, ds / f.name)
    df, rep = load_dataset(tmp_path / "cross-cloud")
    assert sorted(df.format) == ["iperf3", "iperf3-text", "ping"]
    assert sorted(s.path.rsplit("/", 1)[1] for s in rep.skipped) == [
        "10k_file_host_proxy_proxy_3.res", "10k_file_host_target_direct_0.res",
        "small_file_host_target_direct.res"]
    assert all("received" in s.reason for s in rep.skipped)
    assert [f.location for f in rep.findings] == ["lines 1, 186"]  # the console prompt lines


def test_3011_json_inside_a_console_log():
    # "(scale-test) iperf node3 node8" before the document, "(scale-test) " after it
    df = read(IPOP / "iperf-node3-node8.txt")
    r = df.iloc[0]
    assert (r.tool_version, r.protocol, r.streams) == ("3.0.11", "tcp", 1)
    # sum_received: 2.50267e+07 bit/s over 5.00008 s; sum_sent.retransmits 14
    assert r.throughput_bps == pytest.approx(2.50267e7) and r.duration_s == pytest.approx(5.00008)
    assert r.retransmits == 14 and r.mss_bytes == 524
    (f,) = df.attrs["findings"]
    assert f.location == "lines 1, 186" and "2 lines of other text around the JSON document" in f.reason
    assert "scale-test" not in f.reason  # described, never quoted


def test_log_lines_inside_the_document_are_removed_and_reported():
    # a real line iperf3 prints to stdout with -V -J (esnet/iperf#1365), written into the
    # middle of the real 3.0.11 document, and a second one after "end" opens
    raw = (IPOP / "iperf-node3-node8.txt").read_text().split("\n")
    warn = "warning: Verbose output (-v) may interfere with JSON output (-J)"
    i = raw.index('\t"intervals":\t[{')
    j = raw.index('\t"end":\t{')
    mixed = raw[:i] + [warn] + raw[i:j + 1] + [warn] + raw[j + 1:]
    df = read("\n".join(mixed).encode())
    assert df.throughput_bps[0] == pytest.approx(2.50267e7)
    inside = [f for f in df.attrs["findings"] if "inside the JSON document" in f.reason]
    assert [f.location for f in inside] == [f"lines {i + 1}, {j + 3}"]
    assert all(warn not in f.reason for f in df.attrs["findings"])
    # a broken value inside the document is an error with line and column, not "repaired"
    broken = list(raw)
    k = next(n for n, ln in enumerate(broken) if '"bits_per_second":\t2.50267e+07' in ln)
    broken[k] = broken[k].replace("2.50267e+07", "2.50267e+07x")
    with pytest.raises(DataFormatError, match=rf"line {k + 1} column \d+"):
        read("\n".join(broken).encode())


def test_ping_after_a_console_prompt():
    # rtt min/avg/max/mdev = 0.754/4.376/30.733/8.796 ms; 10 transmitted, 10 received
    r = read(IPOP / "ping-node1-node2.txt").iloc[0]
    assert (r.latency_min_s, r.latency_mean_s, r.latency_max_s, r.latency_stddev_s) == \
        pytest.approx((0.754e-3, 4.376e-3, 30.733e-3, 8.796e-3))
    assert r.lost_fraction == 0 and r.msg_size_bytes == 56
