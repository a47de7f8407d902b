"""Fuzzing: mutated and truncated REAL files of every format raise only DataFormatError.

CI runs a moderate number of examples; a long local run:
    HYPOTHESIS_PROFILE=long python -m pytest tests/test_io_fuzz.py -q
"""
import gzip
import os

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnimodel.errors import DataFormatError
from cnimodel.io.detect import _REPORTING, FORMATS
from cnimodel.io.iperf3 import RECORD_LAYOUT, parse_iperf3
from cnimodel.io.schema import INTERVAL_COLUMNS, Finding, check_frame, frame_from_rows
from conftest import CORPUS, TEST_DATA

settings.register_profile("ci", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

IO = TEST_DATA / "io"
SEEDS = {  # (format, file): small real files of every format
    "iperf3": IO / "iperf3" / "tcp-bidir-3.12.json",
    "iperf3-udp": IO / "iperf3" / "udp-3.12.json",
    "iperf3-stream": IO / "iperf3" / "constructed-tcp-3.17-json-stream.json",
    "netperf-classic": IO / "netperf" / "udp_stream.txt",
    "netperf-rr": IO / "netperf" / "tcp_rr-v2.txt",
    "netperf-o": IO / "netperf" / "omni-tcp_rr-o.csv",
    "netperf-O": IO / "netperf" / "omni-tcp_rr-O.txt",
    "netperf-k": IO / "netperf" / "omni-tcp_rr-k.txt",
    "iperf2-enh": IO / "iperf2" / "constructed-2.2-enhanced-tcp-P2.csv",
    "iperf2-udp": IO / "iperf2" / "iperf2_2.1.8_udp_P2_server.csv",
    "iperf2-udp-relay": IO / "iperf2" / "constructed-2.0-udp-client-with-server-report.csv",
    "iperf2-dualtest": IO / "iperf2" / "iperf2_2.1.8_tcp_r_server.csv",
    "iperf2-fullduplex": IO / "iperf2" / "iperf2_2.1.8_tcp_fullduplex_client.csv",
    "ping": IO / "ping" / "ping-s1400-D.txt",
    "fping": IO / "fping" / "fping-c3-two-targets-2to1.txt",
    "fping-C": IO / "fping" / "fping-C5-q-2to1.txt",
    "iperf3-text-bidir": IO / "iperf3-text" / "udp-bidir-client.txt",
    "iperf3-text-P2": IO / "iperf3-text" / "tcp-P2-client.txt",
    "iperf3-text-V": IO / "iperf3-text" / "tcp-V-client.txt",
    "qperf-vv": IO / "qperf" / "udp-vv.txt",
    "qperf-sweep": IO / "qperf" / "tcp_bw-sweep-v.txt",
    "sockperf-tty": IO / "sockperf" / "ping-pong-udp.tty",
    "sockperf-under-load": IO / "sockperf" / "under-load-udp.txt",
    "sockperf-tput": IO / "sockperf" / "throughput-tcp.txt",
    # issue 14: real files from public repositories (tests/data/io/README.md)
    "uperf-a": IO / "public" / "gobench-uperf" / "uperf-TtfgkpeEav-m-iperf.txt",
    "uperf-raw": IO / "public" / "gobench-uperf" / "uperf-TtfgkpeEavR-m-iperf.txt",
    "iperf3-in-log": IO / "public" / "ipop-iperf3.0.11" / "iperf-node3-node8.txt",
    "iperf3-3.9-crlf": IO / "public" / "cloudpilot-iperf3.9" / "10k_file_host_proxy_proxy_3.res",
    "iperf3-text-3.9": IO / "public" / "cloudpilot-iperf3.9" / "bw_host_target_direct.res",
    "sockperf-3.10": IO / "public" / "microvm-sockperf" / "vm_server-ping-pong.txt",
    "sockperf-prefixed": IO / "public" / "microvm-sockperf" / "bm-bm-ping-pong-stdout-prefix.txt",
    "ping-in-log": IO / "public" / "ipop-iperf3.0.11" / "ping-node1-node2.txt",
}
CORPUS_SEEDS = {
    "k8s-netperf": "k8s-netperf/result-example.csv",
    "knb-json": "knb-cern-mtu-sweep/tbed-mtu1400.knbdata.json",
    "knb-yaml": "knb-cern-mtu-sweep/calico-mtu1000-node0-node4.knbdata.yaml",
    "netperf-pkb": "netperf-pkb/netperf_results.json",
    "netperf-wrapped": "netperf-pkb/netperf_results.txt",
    "flent": "flent/test-tcp_nup.flent.gz",
    "knb-archive": "knb-infrabuilder-2020/doc-calico.u18.04-default-run1.knbdata",
}


def _seed_bytes():
    out = {k: p.read_bytes() for k, p in SEEDS.items()}
    if CORPUS.is_dir():
        for k, rel in CORPUS_SEEDS.items():
            raw = (CORPUS / rel).read_bytes()
            if raw[:2] == b"\x1f\x8b" and not rel.endswith(".knbdata"):
                raw = gzip.decompress(raw)
            out[k] = raw[:60000]
    return out


SEED_BYTES = _seed_bytes()
KEYS = sorted(SEED_BYTES)


def _check(data, fmt=None):
    """Call the readers WITHOUT read()'s safety net: every error must be a precise DataFormatError."""
    from cnimodel.io.detect import sniff

    fmt = fmt or sniff(data) or "iperf3"
    try:
        if fmt == "iperf3":
            try:
                frame_from_rows(parse_iperf3(data, "<fuzz>", validate_intervals=False)[0])
            except DataFormatError:
                pass
            try:  # the common-case lane load_dataset takes (tuple records)
                lane = frame_from_rows(parse_iperf3(data, "<fuzz>", records=True)[0],
                                       layout=RECORD_LAYOUT)
            except DataFormatError:
                lane = None
            rows, ivals = parse_iperf3(data, "<fuzz>", intervals=True, findings=[])
            frame_from_rows(ivals, INTERVAL_COLUMNS)
            if lane is not None:  # the same rows as the general loop (which has no lane)
                pd.testing.assert_frame_equal(lane, frame_from_rows(rows))
        elif fmt in _REPORTING:  # readers that report what they drop
            found = []
            rows = FORMATS[fmt](data, "<fuzz>", findings=found)
            assert all(isinstance(f, Finding) and f.reason for f in found)
        else:
            rows = FORMATS[fmt](data, "<fuzz>")
    except DataFormatError:
        return
    check_frame(frame_from_rows(rows))  # whatever a reader accepted: the tidy frame, checked


@st.composite
def mutated(draw):
    key = draw(st.sampled_from(KEYS))
    data = bytearray(SEED_BYTES[key])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["truncate", "flip", "delete", "insert", "dup"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if op == "truncate":
            del data[i:]
        elif op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 200))]
        elif op == "insert":
            data[i:i] = draw(st.sampled_from([b",", b"}", b"]", b"\n", b"-1", b"nan", b'"x"', b"null",
                                              b"1e999", b"\t", b"=", b"0.0-", b"{", b"[", b'""']))
        else:
            j = draw(st.integers(i, min(len(data), i + 300)))
            data[j:j] = data[i:j]
    return bytes(data)


@given(mutated())
def test_mutated_files_raise_only_dataformaterror(data):
    _check(data)


@given(mutated(), st.sampled_from(sorted(FORMATS)))
def test_forced_wrong_reader_raises_only_dataformaterror(data, fmt):
    _check(data, fmt)


@pytest.mark.parametrize("key", KEYS)
def test_every_prefix_of_seed(key):
    raw = SEED_BYTES[key]
    step = max(1, len(raw) // 150)
    for n in range(0, len(raw), step):
        _check(raw[:n])


TEXT_FORMATS = {  # issue 14: at least a thousand mutated files of each new text format in CI
    "iperf3-text": ["iperf3-text-bidir", "iperf3-text-P2", "iperf3-text-V", "iperf3-text-3.9"],
    "sockperf": ["sockperf-tty", "sockperf-under-load", "sockperf-tput", "sockperf-3.10",
                 "sockperf-prefixed"],
    "qperf": ["qperf-vv", "qperf-sweep"],
    "ping": ["ping", "ping-in-log"],
    "fping": ["fping", "fping-C"],
    "uperf": ["uperf-a", "uperf-raw"],
    "iperf3": ["iperf3-in-log", "iperf3-3.9-crlf"],  # JSON inside other text, CRLF
}


@st.composite
def mutated_of(draw, keys):
    data = bytearray(SEED_BYTES[draw(st.sampled_from(keys))])
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["truncate", "flip", "delete", "insert"]))
        if op == "truncate":
            del data[i:]
        elif op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 80))]
        else:
            data[i:i] = draw(st.sampled_from([b"-1", b"nan", b"inf", b"1e999", b"\n", b"\r\n", b" ",
                                              b"0", b"9" * 400, b"\x1b[0m", b"sender", b"[SUM]",
                                              b"\nwarning: a log line\n", b'"bytes":\t1,\n',
                                              b"\n{\n", b"\n}\n", b"Run Statistics\n"]))
    return bytes(data)


@pytest.mark.parametrize("fmt", sorted(TEXT_FORMATS))
def test_text_formats_thousand_mutations(fmt):
    @settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
    @given(mutated_of(TEXT_FORMATS[fmt]))
    def run(data):
        _check(data)
        _check(data, fmt)

    run()


# --------------------------------------------------------------------------- hostile entries
# A dataset tree drawn by hypothesis: real seeds, mutated files, gzip of them, oversized and
# gzip-bomb files, named pipes, sockets, device links, links inside and outside the root,
# names that are not UTF-8. load_dataset must return (never hang, raise or read outside),
# every entry is read or skipped with a reason, and no reason quotes the outside secret.
_SECRET = b"TOPSECRET-" + b"k" * 40
_KINDS = ("seed", "mutated", "gzip", "big", "bomb", "fifo", "socket", "devzero", "link-in",
          "link-out", "link-dir", "odd-name", "empty-dir")


@st.composite
def hostile_entries(draw):
    return draw(st.lists(st.tuples(st.sampled_from(_KINDS), mutated(),
                                   st.sampled_from(sorted(SEEDS))), min_size=1, max_size=6))


def _make(base, outside, i, kind, data, seed_key):
    import socket

    name = os.fsencode(base) + b"/e%d" % i
    if kind == "seed":
        open(name + b".dat", "wb").write(SEEDS[seed_key].read_bytes())
    elif kind == "mutated":
        open(name + b".dat", "wb").write(data)
    elif kind == "gzip":
        open(name + b".gz", "wb").write(gzip.compress(data))
    elif kind == "big":
        open(name + b".dat", "wb").write(data + b" " * 5000)
    elif kind == "bomb":
        open(name + b".gz", "wb").write(gzip.compress(b"{" + b" " * (2 << 20)))
    elif kind == "fifo":
        os.mkfifo(name + b".json")
    elif kind == "socket":
        path = name + b".sock"
        if len(path) < 100:  # AF_UNIX path limit; a deeper tmp dir gets a fifo instead
            s = socket.socket(socket.AF_UNIX)
            s.bind(path)
            s.close()
        else:
            os.mkfifo(path)
    elif kind == "devzero":
        os.symlink(b"/dev/zero", name + b".json")
    elif kind == "link-in":
        open(name + b".t", "wb").write(data)
        os.symlink(name + b".t", name + b".lnk")
    elif kind == "link-out":
        os.symlink(os.fsencode(outside), name + b".json")
    elif kind == "link-dir":
        os.symlink(os.fsencode(base), name + b".d")
    elif kind == "odd-name":
        open(name + b"\xff\xfe.dat", "wb").write(data)
    elif kind == "empty-dir":
        os.mkdir(name + b"\xe9")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(hostile_entries())
def test_hostile_dataset_trees(tmp_path_factory, entries):
    import shutil

    from cnimodel.io import load_dataset

    root = tmp_path_factory.mktemp("hostile")
    outside = root / "secret.txt"
    outside.write_bytes(_SECRET)
    ds = root / "DS"
    (ds / "host").mkdir(parents=True)
    try:
        for i, (kind, data, seed_key) in enumerate(entries):
            _make(ds / "host", outside, i, kind, data, seed_key)
        df, rep = load_dataset(ds, max_bytes=4 << 20, max_decompressed_bytes=1 << 20)
        text = str(rep)
        text.encode("utf-8")
        assert "TOPSECRET" not in text
        if "source_file" in df:
            assert all("secret.txt" not in s for s in df["source_file"])
        for kind in ("fifo", "devzero", "link-out", "bomb"):
            if any(k == kind for k, _, _ in entries):
                assert rep.skipped, (kind, text)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_integer_beyond_the_float_range_is_a_format_error():
    """Found by the 1,000-mutation run: a 400-digit integer in a JSON number field raised
    OverflowError from float() instead of DataFormatError."""
    import json as _json
    from pathlib import Path
    seed = sorted((Path(__file__).parent / "data").rglob("*.json"))
    docs = [p for p in seed if b'"intervals"' in p.read_bytes() and b'"retransmits"' in p.read_bytes()]
    assert docs
    doc = _json.loads(docs[0].read_bytes())
    big = 10 ** 400
    doc["intervals"][-1]["streams"][0]["retransmits"] = big
    doc["intervals"][-1]["streams"][0]["pmtu"] = big
    raw = _json.dumps(doc).encode()
    for careful in (True, False):
        try:
            parse_iperf3(raw, "<big>", intervals=careful, findings=[])
        except DataFormatError:
            pass
