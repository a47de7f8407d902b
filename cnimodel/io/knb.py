"""Reader of knb (k8s-bench-suite) results: ``.knbdata`` archives, ``.knbdata.json`` / ``.yaml``.

One row per test (``series`` = ``pod2pod-tcp``, ``pod2pod-udp``, ``pod2svc-tcp``,
``pod2svc-udp``; the ``idle`` baseline is not a row).  ``bandwidth`` is an integer
in Mbit/s -> ``throughput_bps``; a failed test reports 0, read as NaN (never 0).
knb's CPU figures are node-wide percentages -> ``cpu_local_fraction`` (client)
and ``cpu_remote_fraction`` (server), total = user + nice + system + iowait + steal.
``mtu`` (a string, possibly listing several values) -> ``pmtu_bytes`` when it
holds exactly one value.

knb builds its JSON with ``echo`` and can write INVALID JSON: bare ``nan`` and
empty values (``"user": ,``) are repaired to null (NaN); anything else raises a
:class:`~cnimodel.errors.DataFormatError` with line and column.

A ``.knbdata`` file is a tar.gz of knb's raw files: ``<pod>-<tcp|udp>-<p2p|p2s>-<id>.bw``
(receiver Mbit/s), ``*-client.avg`` / ``*-server.avg`` (CPU), ``mtu``, ``env``.
"""
from __future__ import annotations

import io
import tarfile

from ..errors import DataFormatError
from . import _common as C

__all__ = ["read_knb", "parse_knb"]

_SCEN = {"p2p": "pod2pod", "p2s": "pod2svc"}


def read_knb(path_or_buffer, source: str | None = None):
    """Read a knb result (archive, JSON or YAML) into the tidy schema.

    Examples
    --------
    >>> doc = b'{"metadata": {"version": "1.5.1"}, "data": {"mtu": "1450", "pod2pod": ' \\
    ...       b'{"tcp": {"bandwidth": 9100, "client": {"cpu": {"total": nan}}}}}}'
    >>> r = read_knb(doc).iloc[0]
    >>> print(r.series, r.throughput_bps, r.pmtu_bytes)
    pod2pod-tcp 9100000000.0 1450.0
    """
    from .schema import frame_from_rows

    data, name = C.read_bytes(path_or_buffer, source)
    return frame_from_rows(parse_knb(data, name))


def parse_knb(data: bytes, name: str) -> list:
    if len(data) > 262 and data[257:262] == b"ustar":
        return _archive(data, name)
    s = data.lstrip()
    if s.startswith(b"{"):
        doc = C.loads(data, name, recover=True)
        fmt = "knb-json"
    else:
        doc = _yaml(data, name)
        fmt = "knb-yaml"
    return _doc_rows(doc, name, fmt)


def _yaml(data, name):
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(C.text(data, name), Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else "document"
        raise DataFormatError(name, where, "valid knb YAML", found=C.unquoted(exc.problem)) from None
    except yaml.YAMLError as exc:
        raise DataFormatError(name, "document", "valid knb YAML", found=C.unquoted(exc)[:120]) from None


def _knum(v, name, where):
    if isinstance(v, str):
        return C.fnum(v, name, where)
    return C.num(v, name, where)


def _mtu(v, name):
    if v is None:
        return None
    parts = str(v).replace(",", " ").split()
    vals = {C.fnum(p, name, "data.mtu") for p in parts}
    return vals.pop() if len(vals) == 1 else None


def _cpu_total(cpu, name, where):
    if not isinstance(cpu, dict):
        return None
    v = _knum(cpu.get("total"), name, where + ".total")
    return v / 100.0


def _doc_rows(doc, name, fmt):
    if not isinstance(doc, dict):
        raise DataFormatError(name, "top level", "a knb result mapping (metadata, data)",
                              found=type(doc).__name__)
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    if meta.get("generator") not in (None, "knb"):
        raise DataFormatError(name, "metadata.generator", "'knb'",
                              found=f"another generator ({C.describe(meta.get('generator'))})")
    data = C.dig(doc, "data", name)
    version = meta.get("version")
    pmtu = _mtu(data.get("mtu"), name)
    rows = []
    for scen in ("pod2pod", "pod2svc"):
        sd = data.get(scen)
        if sd is None:
            continue
        if not isinstance(sd, dict):
            raise DataFormatError(name, f"data.{scen}", "a mapping of tcp / udp results",
                                  found=type(sd).__name__)
        for proto in ("tcp", "udp"):
            t = sd.get(proto)
            if t is None:
                continue
            where = f"data.{scen}.{proto}"
            if not isinstance(t, dict):
                raise DataFormatError(name, where, "a mapping with bandwidth", found=type(t).__name__)
            if "bandwidth" not in t:
                raise DataFormatError(name, where + ".bandwidth", "the test's bandwidth [Mbit/s]",
                                      found="missing")
            bw = _knum(t["bandwidth"], name, where + ".bandwidth")
            row = C.base_row("knb", fmt, name, len(rows))
            row.update(tool_version=str(version) if version is not None else None,
                       series=f"{scen}-{proto}", test="stream", protocol=proto, direction="send",
                       streams=1, pmtu_bytes=pmtu,
                       throughput_bps=bw * 1e6 if bw > 0 else None,
                       cpu_local_fraction=_cpu_total(C.opt(t, "client.cpu"), name, where + ".client.cpu"),
                       cpu_remote_fraction=_cpu_total(C.opt(t, "server.cpu"), name, where + ".server.cpu"))
            rows.append(row)
    if not rows:
        raise DataFormatError(name, "data", "pod2pod / pod2svc test results", found="none")
    return rows


def _archive(data, name):
    try:
        tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
        files = {}
        for m in tf.getmembers():
            if m.isfile() and m.size < 10_000_000:
                fh = tf.extractfile(m)
                files[m.name.lstrip("./")] = fh.read() if fh else b""
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DataFormatError(name, "tar archive", "a complete knb .knbdata archive (tar.gz)",
                              found=str(exc)[:120]) from None
    env = {}
    for line in files.get("env", b"").decode("utf-8", "replace").splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            env[k.strip()] = v.strip().strip('"')
    pmtu = _mtu(files.get("mtu", b"").decode("utf-8", "replace").strip() or None, name)
    rows = []
    for fname in sorted(files):
        if not fname.endswith(".bw"):
            continue
        parts = fname[:-3].split("-")
        proto = next((p for p in parts if p in ("tcp", "udp")), None)
        scen = next((_SCEN[p] for p in parts if p in _SCEN), None)
        if proto is None or scen is None:
            continue  # the idle baseline
        txt = files[fname].decode("utf-8", "replace").strip()
        bw = C.fnum(txt, name, f"{fname}: line 1")
        stem = fname[:-3]
        row = C.base_row("knb", "knb-archive", name, len(rows))
        row.update(tool_version=env.get("VERSION"), series=f"{scen}-{proto}", test="stream",
                   protocol=proto, direction="send", streams=1, pmtu_bytes=pmtu,
                   throughput_bps=bw * 1e6 if bw > 0 else None,
                   cpu_local_fraction=_avg_cpu(files.get(stem + "-client.avg"), name, stem + "-client.avg"),
                   cpu_remote_fraction=_avg_cpu(files.get(stem + "-server.avg"), name, stem + "-server.avg"))
        rows.append(row)
    if not rows:
        raise DataFormatError(name, "archive members", "knb '*-tcp-p2p-*.bw' result files",
                              found=", ".join(sorted(files)[:5]) or "an empty archive")
    return rows


def _avg_cpu(raw, name, member):
    if not raw:
        return None
    lines = raw.decode("utf-8", "replace").split("\n")
    if len(lines) < 2:
        raise DataFormatError(name, f"{member}: line 2", "a line of CPU averages", found="none")
    head, vals = lines[0].split(), lines[1].split()
    total = 0.0
    for k in ("cpu-user", "cpu-nice", "cpu-system", "cpu-iowait", "cpu-steal"):
        if k in head and head.index(k) < len(vals):
            total += C.fnum(vals[head.index(k)], name, f"{member}: line 2 {k}")
    return total / 100.0
