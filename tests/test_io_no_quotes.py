"""Issue 16 point 1/5: errors and skip reasons describe, never quote, what a file holds.

Every real seed of every format is fed with secret-looking text put in place of each of its
lines and of each of its words, in turn (and before / after it); whatever the readers then say
(a DataFormatError, a finding of read() or load_dataset) must never contain that text.  JSON
keys are not replaced: a key path is how an error names its location (duplicate keys)."""
import re

import pytest

from cnimodel.errors import DataFormatError
from cnimodel.io import load_dataset, read
from cnimodel.io.detect import FORMATS, parse_bytes, sniff
from test_io_fuzz import SEED_BYTES

SECRET = "SECRETk3y0Zq9"
PUBLIC = sorted((__import__("conftest").TEST_DATA / "io" / "public").glob("*/*"))
SEEDS = dict(SEED_BYTES, **{f"public-{p.parent.name}-{p.name}": p.read_bytes() for p in PUBLIC})
_WORD = re.compile(rb"[A-Za-z0-9.+\-:%/]+")


def _variants(raw: bytes, limit: int = 10):
    s = SECRET.encode()
    yield s + b"\n" + raw
    yield raw + b"\n" + s + b"\n"
    lines = raw.split(b"\n")
    step = max(1, len(lines) // limit)
    for i in range(0, len(lines), step):
        yield b"\n".join(lines[:i] + [s + b" " + s] + lines[i + 1:])
    words = [m for m in _WORD.finditer(raw) if not raw[max(0, m.start() - 1):m.start()] == b'"'
             or raw[m.end():m.end() + 2] != b'":']  # not a JSON key
    step = max(1, len(words) // limit)
    for m in words[::step]:
        yield raw[:m.start()] + s + raw[m.end():]
        yield raw[:m.start()] + b'"' + s + b'"' + raw[m.end():]


def _said(data: bytes, fmt=None):
    """Everything the readers say about ``data``: error messages and finding reasons."""
    out = []
    noted = []
    try:
        parse_bytes(data, "<leak>", fmt, findings=noted)
    except DataFormatError as exc:
        out.append(str(exc))
    except Exception as exc:  # noqa: BLE001 - ParameterError of a forced unknown format
        out.append(str(exc))
    out += [f"{f.location} {f.reason}" for f in noted]
    try:
        df = read(data)
        out += [f"{f.location} {f.reason}" for f in df.attrs.get("findings", [])]
    except DataFormatError as exc:
        out.append(str(exc))
    return out


@pytest.mark.parametrize("key", sorted(SEEDS))
def test_no_message_quotes_the_file(key):
    raw = SEEDS[key]
    own = sniff(raw)
    for fmt in (None, *sorted(FORMATS)):  # the seed itself, through every reader
        for msg in _said(raw, fmt):
            assert SECRET not in msg
    for data in _variants(raw):  # each variant detected, and forced through its seed's reader
        for fmt in {None, own}:
            for msg in _said(data, fmt):
                assert SECRET not in msg, (key, msg)


def test_forced_readers_never_quote(key="iperf3"):
    s = SECRET.encode()
    junk = [s, s + b"\n" + s, b"[ 0] IP = " + s, b"PING " + s + b" (" + s + b") 56(84) bytes of data.\nping: " + s,
            b"iperf3: error - " + s, b"sockperf: ERROR " + s, b"tcp_lat:\n    " + s,
            b'{"start": {"version": "' + s + b'"}, "end": {}, "error": "' + s + b'"}',
            b"Starting 1 threads running profile:x ...\n** " + s + b" Cannot connect"]
    for data in junk:
        for fmt in (None, *sorted(FORMATS)):
            for msg in _said(data, fmt):
                assert SECRET not in msg, (fmt, msg)


def test_load_dataset_report_never_quotes(tmp_path):
    host = tmp_path / "DS" / "host"
    host.mkdir(parents=True)
    n = 0
    for key, raw in sorted(SEEDS.items()):
        for i, data in enumerate(_variants(raw, limit=4)):
            (host / f"{n:05d}.dat").write_bytes(data)
            n += 1
    df, rep = load_dataset(tmp_path / "DS")
    text = str(rep)
    assert rep.skipped and SECRET not in text
