"""iperf3 reader: real 3.12 fixtures (tests/data/io), constructed 3.7/3.17 forms, the corpus."""
import gzip
import io
import json
import math

import pytest

from cnimodel.errors import CnimodelError, DataFormatError
from cnimodel.io import read, read_iperf3
from conftest import TEST_DATA

D = TEST_DATA / "io" / "iperf3"


def _doc(name):
    return json.loads((D / name).read_text())


def test_tcp_values_match_file():
    doc = _doc("tcp-3.12.json")
    df = read_iperf3(D / "tcp-3.12.json")
    assert len(df) == 1
    r = df.iloc[0]
    assert (r.tool, r.tool_version, r.protocol, r.direction, r.test) == ("iperf3", "3.12", "tcp", "send", "stream")
    assert r.throughput_bps == doc["end"]["sum_received"]["bits_per_second"]
    assert r.retransmits == doc["end"]["sum_sent"]["retransmits"]
    assert r.mss_bytes == doc["start"]["tcp_mss_default"]
    assert r.cpu_local_cores == pytest.approx(doc["end"]["cpu_utilization_percent"]["host_total"] / 100)
    assert math.isnan(r.cpu_local_fraction)  # core count unknown: never guessed
    snd = doc["end"]["streams"][0]["sender"]
    assert r.rtt_mean_s == pytest.approx(snd["mean_rtt"] * 1e-6)  # microseconds
    assert math.isnan(r.latency_mean_s)  # bulk RTT never lands in transaction latency
    assert math.isnan(r.msg_size_bytes) and math.isnan(r.lost_fraction)
    assert r.timestamp.timestamp() == doc["start"]["timestamp"]["timesecs"]


def test_parallel_streams_sum_one_row():
    df = read_iperf3(D / "tcp-p4-3.12.json")
    assert len(df) == 1 and df.streams[0] == 4
    assert df.throughput_bps[0] == _doc("tcp-p4-3.12.json")["end"]["sum_received"]["bits_per_second"]


def test_reverse_is_receive():
    df = read_iperf3(D / "tcp-reverse-3.12.json")
    assert df.direction.tolist() == ["receive"]


@pytest.mark.parametrize("name", ["tcp-bidir-3.12.json", "constructed-tcp-bidir-3.7-dupkeys.json"])
def test_bidir_both_forms(name):
    ref = _doc("tcp-bidir-3.12.json")["end"]
    df = read_iperf3(D / name)
    assert df.direction.tolist() == ["send", "receive"] and df.bidir.tolist() == [True, True]
    assert df.throughput_bps[0] == ref["sum_received"]["bits_per_second"]
    assert df.throughput_bps[1] == ref["sum_received_bidir_reverse"]["bits_per_second"]


def test_udp_receiver_rate_and_loss():
    doc = _doc("udp-3.12.json")
    r = read_iperf3(D / "udp-3.12.json").iloc[0]
    rcv = doc["end"]["sum_received"]
    assert r.throughput_bps == rcv["bits_per_second"] != doc["end"]["sum"]["bits_per_second"]
    assert r.lost_fraction == pytest.approx(rcv["lost_percent"] / 100)
    assert r.jitter_s == pytest.approx(rcv["jitter_ms"] / 1000)
    assert r.msg_size_bytes == 1400 and math.isnan(r.mss_bytes)


def test_udp_before_311_uses_delivery_ratio():
    s = _doc("constructed-udp-3.9-sum-only.json")["end"]["sum"]
    r = read_iperf3(D / "constructed-udp-3.9-sum-only.json").iloc[0]
    expected = s["bits_per_second"] * (s["packets"] - s["lost_packets"]) / s["packets"]
    assert r.throughput_bps == pytest.approx(expected) and r.throughput_bps < s["bits_per_second"]


def test_json_stream_and_printed_twice_equal_plain():
    plain = read_iperf3(D / "tcp-3.12.json")
    for name in ("constructed-tcp-3.17-json-stream.json", "constructed-tcp-printed-twice.json"):
        df = read_iperf3(D / name)
        assert len(df) == 1 and df.throughput_bps[0] == plain.throughput_bps[0]


def test_error_document_is_dataformaterror():
    with pytest.raises(DataFormatError, match=r"iperf3's error message \(connection refused") as ei:
        read_iperf3(D / "error-refused-3.12.json")
    assert ei.value.location == "error" and isinstance(ei.value, CnimodelError)


def test_gzip_and_buffers():
    raw = (D / "tcp-3.12.json").read_bytes()
    ref = read_iperf3(raw).throughput_bps[0]
    assert read_iperf3(io.BytesIO(gzip.compress(raw))).throughput_bps[0] == ref
    assert read_iperf3(io.StringIO(raw.decode())).throughput_bps[0] == ref
    assert read(D / "tcp-p2-3.12.json.gz").streams[0] == 2


def test_intervals_frame_and_omitted():
    df, iv = read_iperf3(D / "tcp-3.12.json", intervals=True)
    doc = _doc("tcp-3.12.json")
    assert set(iv.stream) >= {"sum"}
    assert iv.omitted.sum() == sum(1 for i in doc["intervals"] for s in i["streams"] if s["omitted"]) + \
        sum(1 for i in doc["intervals"] if i["sum"]["omitted"])
    assert (iv.rtt_s.dropna() < 1).all()  # microseconds converted


def test_truncated_and_missing_keys_are_precise():
    raw = (D / "tcp-3.12.json").read_bytes()
    with pytest.raises(DataFormatError, match=r"line \d+ column \d+"):
        read_iperf3(raw[: len(raw) // 2])
    doc = _doc("tcp-3.12.json")
    del doc["start"]["test_start"]
    with pytest.raises(DataFormatError) as ei:
        read_iperf3(json.dumps(doc).encode())
    assert ei.value.location == "start.test_start"


# ----------------------------------------------------------------- corpus (read in place)
def _corpus_row(corpus, cni, name, run=1):
    return read_iperf3(corpus / "iperf3-3.16-infrabuilder-2024" / cni / str(run) / name).iloc[0]


def test_corpus_udp_reports_receiver_rate(corpus):
    for cni in ("cilium", "calico", "baremetal"):
        for name in ("dus-client.json", "dum-client.json"):
            p = corpus / "iperf3-3.16-infrabuilder-2024" / cni / "1" / name
            end = json.loads(p.read_text())["end"]
            r = read_iperf3(p).iloc[0]
            assert r.throughput_bps == end["sum_received"]["bits_per_second"]
            assert r.throughput_bps < end["sum_sent"]["bits_per_second"]


def test_corpus_pmtu_mss_streams(corpus):
    assert _corpus_row(corpus, "cilium", "dts-client.json").pmtu_bytes == 8950
    assert _corpus_row(corpus, "baremetal", "dts-client.json").pmtu_bytes == 9000
    assert _corpus_row(corpus, "cilium", "dts-client.json").mss_bytes == 8898
    assert _corpus_row(corpus, "kubeovn", "dtm-client.json").pmtu_bytes == 8900
    r = _corpus_row(corpus, "flannel", "dtm-client.json")
    assert r.streams == 8 and r.duration_s == pytest.approx(60, abs=0.1)
    assert r.cpu_local_cores > 1  # 3.16 multi-threaded: above one core


def test_fast_path_equals_careful_path(corpus):
    """The straight-line fast path and the careful (precise-error) path give the same rows."""
    import pandas as pd

    from cnimodel.io import iperf3 as I
    from cnimodel.io.iperf3_careful import doc_rows
    from cnimodel.io.iperf3_docs import documents
    from cnimodel.io.schema import frame_from_rows

    files = sorted(D.glob("*.json")) + sorted((corpus / "iperf3-3.16-infrabuilder-2024" / "cilium" / "1").glob("*.json"))
    n_fast = 0
    for p in files:
        if "error" in p.name:
            continue
        doc = documents(p.read_bytes(), str(p))[0][0]
        if "dupkeys" in p.name:
            doc = json.loads(p.read_text(), object_pairs_hook=I._dup_hook)
        careful = frame_from_rows(doc_rows(doc, doc["end"], str(p), 0))
        try:
            fast = frame_from_rows(I._fast_rows(doc, doc["end"], str(p), 0))
        except I._Slow:
            continue
        n_fast += 1
        pd.testing.assert_frame_equal(fast, careful)
    assert n_fast >= 8


def test_summary_parse_equals_full_parse(corpus):
    """validate_intervals=False (interval array not parsed) gives exactly the same rows."""
    import pandas as pd

    from cnimodel.io.iperf3 import _summary_doc, parse_iperf3
    from cnimodel.io.schema import frame_from_rows

    files = sorted(D.glob("*.json")) + sorted(
        (corpus / "iperf3-3.16-infrabuilder-2024").glob("*/1/*.json"))
    used = 0
    for p in files:
        raw = p.read_bytes()
        try:
            full = frame_from_rows(parse_iperf3(raw, str(p))[0])
        except DataFormatError:
            with pytest.raises(DataFormatError):
                parse_iperf3(raw, str(p), validate_intervals=False)
            continue
        fast = frame_from_rows(parse_iperf3(raw, str(p), validate_intervals=False)[0])
        pd.testing.assert_frame_equal(fast, full)
        used += _summary_doc(raw) is not None
    assert used >= 25
    assert _summary_doc((D / "constructed-tcp-printed-twice.json").read_bytes()) is None


def _perturbations(doc):
    """(description, document) pairs: one value of ``doc`` replaced by a value of another
    kind, or its key deleted, at every place the fast path reads."""
    import copy

    bad = [None, True, 0, -1, 2.5, float("nan"), "x", [], {}, "DELETE"]
    paths = [("start", "version"), ("start", "timestamp"), ("start", "timestamp", "timesecs"),
             ("start", "test_start"), ("start", "tcp_mss_default"), ("start", "tcp_mss")]
    paths += [("start", "test_start", k) for k in ("protocol", "num_streams", "blksize", "reverse")]
    end = doc["end"]
    for key in [k for k in end if k.startswith("sum")]:
        paths.append(("end", key))
        paths += [("end", key, k) for k in ("bits_per_second", "seconds", "retransmits",
                                            "lost_percent", "jitter_ms", "packets", "lost_packets")]
    paths += [("end", "cpu_utilization_percent")] + \
        [("end", "cpu_utilization_percent", k) for k in ("host_total", "remote_total")]
    paths += [("end", "streams")]
    for i, st in enumerate(end.get("streams", [])):
        paths.append(("end", "streams", i))
        for side in ("sender", "udp"):
            if side in st:
                paths.append(("end", "streams", i, side))
                paths += [("end", "streams", i, side, k) for k in ("mean_rtt", "min_rtt", "max_rtt",
                                                                   "sender")]
    last = len(doc["intervals"]) - 1
    paths += [("intervals",), ("intervals", last), ("intervals", last, "streams")]
    for i in range(len(doc["intervals"][last]["streams"])):
        paths += [("intervals", last, "streams", i)] + \
            [("intervals", last, "streams", i, k) for k in ("pmtu", "omitted")]
    paths += [("end", "sum_bidir_reverse"), ("error",)]
    for path in paths:
        for value in bad:
            d = copy.deepcopy(doc)
            cur = d
            try:
                for k in path[:-1]:
                    cur = cur[k]
                if value == "DELETE":
                    if path[-1] not in (cur if isinstance(cur, dict) else range(len(cur))):
                        continue
                    del cur[path[-1]]
                else:
                    cur[path[-1]] = value
            except (KeyError, IndexError, TypeError):
                continue
            yield f"{'.'.join(map(str, path))}={value!r}", d


@pytest.mark.parametrize("name", ["tcp-3.12.json", "tcp-p4-3.12.json", "tcp-reverse-3.12.json",
                                  "udp-3.12.json", "udp-reverse-3.12.json", "tcp-bidir-3.12.json"])
def test_fast_path_never_disagrees_on_perturbed_documents(name):
    """Wherever the fast path gives rows (else it defers: _Slow), the careful path gives the same
    rows; wherever the careful path raises, the fast path defers.  And the whole reader as
    load_dataset calls it (fast lane, tuple records) gives what the general loop gives."""
    import pandas as pd

    from cnimodel.io import iperf3 as I
    from cnimodel.io.detect import parse_bytes
    from cnimodel.io.iperf3_careful import doc_rows, interval_rows
    from cnimodel.io.schema import frame_from_rows

    fast_rows, careful_rows, lane_rows, general_rows, errors = [], [], [], [], []
    n_fast = n_slow = 0
    for what, doc in _perturbations(_doc(name)):
        end = doc.get("end")
        try:
            careful = doc_rows(doc, end, what, 0)
        except Exception as exc:  # noqa: BLE001 - any failure: the fast path must defer
            careful = exc
        try:
            fast = I._fast_records(doc, end, what, 0) if isinstance(end, dict) else None
        except I._Slow:
            fast = None
        if fast is None:
            n_slow += 1
        else:
            n_fast += 1
            assert not isinstance(careful, Exception), (what, careful)
            assert len(fast) == len(careful), what
            fast_rows += fast
            careful_rows += careful
        raw = json.dumps(doc).encode()
        try:
            interval_rows(doc, what, 0)
        except Exception:  # noqa: BLE001 - the general loop below would fail on the intervals
            continue
        try:  # as load_dataset calls it
            lane = parse_bytes(raw, what, None, False, True, True)[0]
        except DataFormatError as exc:
            lane = exc
        try:  # the general loop (intervals=True takes no lane)
            general = parse_bytes(raw, what, None, True)[0]
        except DataFormatError as exc:
            general = exc
        if isinstance(lane, Exception) or isinstance(general, Exception):
            errors.append((what, str(lane), str(general)))
        else:
            lane_rows += [I._as_rows([r])[0] if isinstance(r, tuple) else r for r in lane]
            general_rows += general
    assert n_fast >= 20 and n_slow >= 100, (n_fast, n_slow)
    pd.testing.assert_frame_equal(frame_from_rows(fast_rows, layout=I.RECORD_LAYOUT),
                                  frame_from_rows(careful_rows))
    assert [e for e in errors if e[1] != e[2]] == []
    pd.testing.assert_frame_equal(frame_from_rows(lane_rows), frame_from_rows(general_rows))
