"""Benchmark of cnimodel.load_dataset on N lab-like iperf3 JSON files.

Generates N files (default 10,000) from the REAL iperf3 3.12 outputs in
tests/data/io/iperf3/ (made on this machine's loopback, see its README), spread
over the five path folders of a dataset, then prints files/s and MB/s of:

* ``load_dataset``   cnimodel: walk, detect, parse, label, one DataFrame (every byte parsed);
  also with ``validate_intervals=False`` (iperf3 interval arrays not parsed);
* (a) ``parse only`` walk + read + the fastest JSON parser installed (orjson, else json),
  nothing else: the floor any reader pays;
* (a') the same, reading with ``os.open`` / ``os.read`` as load_dataset does (no file
  object), for information: (a) minus (a') is what load_dataset saves by reading that way;
* (b) ``obvious``    what a user would write: ``json.load`` + ``pandas.json_normalize``
  per file, ``pandas.concat`` at the end.

* text formats (issue 14): ``load_dataset`` on N/5 copies of the real text outputs in
  tests/data/io/{iperf3-text,sockperf,qperf,ping,fping}/ and two public ones (uperf -R, iperf3
  3.9 text; tests/data/io/public/) (files/s next to the JSON fast path).

Goal (issue 3): load_dataset within 1.5x of (a) and at least 5x faster than (b).

    python benchmarks/bench_read.py [N] [--keep DIR] [--rounds R]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = ["tcp-3.12.json", "tcp-p4-3.12.json", "tcp-reverse-3.12.json", "udp-3.12.json",
             "udp-reverse-3.12.json", "tcp-bidir-3.12.json"]
PATHS = ["host", "bridge", "overlay", "routing", "underlay"]
TEXT_TEMPLATES = ["iperf3-text/tcp-client.txt", "iperf3-text/tcp-P2-client.txt",
                  "iperf3-text/udp-client.txt", "iperf3-text/tcp-bidir-client.txt",
                  "sockperf/ping-pong-udp.txt", "sockperf/ping-pong-udp.tty",
                  "qperf/lat-bw.txt", "qperf/udp-vv.txt", "ping/ping-c5.txt",
                  "fping/fping-c5-2to1.txt", "public/gobench-uperf/uperf-TtfgkpeEavR-m-iperf.txt",
                  "public/cloudpilot-iperf3.9/bw_host_target_direct.res"]


def generate_text(root: Path, n: int) -> int:
    """n copies of the real text outputs (TEXT_TEMPLATES) over the path folders; total bytes."""
    tpl = [(REPO / "tests" / "data" / "io" / t).read_bytes() for t in TEXT_TEMPLATES]
    total = 0
    for i in range(n):
        d = root / PATHS[i % len(PATHS)]
        d.mkdir(parents=True, exist_ok=True)
        data = tpl[i % len(tpl)]
        (d / f"text-{i:05d}.txt").write_bytes(data)
        total += len(data)
    return total


def generate(root: Path, n: int) -> int:
    tpl = [(REPO / "tests" / "data" / "io" / "iperf3" / t).read_bytes() for t in TEMPLATES]
    root.mkdir(parents=True, exist_ok=True)
    (root / "dataset.yaml").write_text("labels: {condition: bench, underlay_mtu_bytes: 1500}\n")
    for p in PATHS:
        (root / p).mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(n):
        raw = tpl[i % len(tpl)]
        # a distinct start time per file (same length, so the JSON stays valid and lab-like)
        raw = raw.replace(b'"timesecs":\t17', b'"timesecs":\t16', 1)
        out = root / PATHS[i % len(PATHS)] / f"iperf3-{i:05d}-r{i % 3 + 1}.json"
        out.write_bytes(raw)
        total += len(raw)
    return total


def list_files(root):
    out = []
    for d, _, files in os.walk(root):
        out += [os.path.join(d, f) for f in files if f.endswith(".json")]
    return out


def fastest_loads():
    try:
        import orjson
        return orjson.loads
    except ImportError:  # pragma: no cover
        return json.loads


def parse_only(root):
    loads = fastest_loads()
    n = 0
    for f in list_files(root):
        with open(f, "rb") as fh:
            loads(fh.read())
        n += 1
    return n


def parse_only_os(root):
    loads = fastest_loads()
    n = 0
    for f in list_files(root):
        fd = os.open(f, os.O_RDONLY)
        try:
            parts = [os.read(fd, 1 << 16)]
            while parts[-1]:
                parts.append(os.read(fd, 1 << 16))
        finally:
            os.close(fd)
        loads(b"".join(parts))
        n += 1
    return n


def obvious(root):
    import pandas as pd

    frames = []
    for f in list_files(root):
        with open(f) as fh:
            doc = json.load(fh)
        frames.append(pd.json_normalize(doc))
    return len(pd.concat(frames, ignore_index=True))


def timed(fn, *a):
    t = time.perf_counter()
    r = fn(*a)
    return time.perf_counter() - t, r


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=10_000)
    ap.add_argument("--keep", help="generate into this directory and keep it")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of (a) and "
                    "load_dataset; the best of each is reported (default 3)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from cnimodel.io import load_dataset

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cnimodel-bench-"))
    try:
        nbytes = generate(root, args.n)
        mb = nbytes / 1e6
        parse_only(root)  # warm the page cache once for every contender
        t_a = t_o = t_l = t_s = float("inf")
        for _ in range(args.rounds):  # interleaved rounds, best of each: robust on a shared machine
            t, _ = timed(parse_only, root)
            t_a = min(t_a, t)
            t, _ = timed(parse_only_os, root)
            t_o = min(t_o, t)
            t, (df, report) = timed(load_dataset, root)
            t_l = min(t_l, t)
            t, (df2, report2) = timed(lambda: load_dataset(root, validate_intervals=False))
            t_s = min(t_s, t)
        assert report.files_read == args.n and not report.skipped, report
        assert df.equals(df2), "validate_intervals=False must give the same frame"
        t_b, _ = timed(obvious, root)  # once: it is slow
        print(f"{args.n} iperf3 files, {mb:.1f} MB, rows {len(df)}; best of {args.rounds} rounds; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        for label, t in (("load_dataset", t_l), ("  validate_intervals=False", t_s),
                         ("(a) parse only", t_a), ("(a') parse only, os reads", t_o),
                         ("(b) obvious", t_b)):
            print(f"  {label:<27} {t:7.2f} s  {args.n / t:9.0f} files/s  {mb / t:7.1f} MB/s")
        print(f"  load_dataset / (a) = {t_l / t_a:.2f}x (validate_intervals=False: {t_s / t_a:.2f}x; "
              f"goal <= 1.5x); (b) / load_dataset = {t_b / t_l:.1f}x (goal >= 5x)")
        print(f"  for information: load_dataset / (a') = {t_l / t_o:.2f}x (the same parse, read "
              f"the way load_dataset reads)")
        troot = root / "_text"  # "_": the JSON walk above ignores it
        nt = max(1, args.n // 5)
        tbytes = generate_text(troot, nt)
        t_t = float("inf")
        for _ in range(args.rounds):
            t, (dft, rept) = timed(load_dataset, troot)
            t_t = min(t_t, t)
        assert rept.files_read == nt and not rept.skipped, rept
        print(f"  text formats: {nt} files ({len(TEXT_TEMPLATES)} real outputs: iperf3 text, "
              f"sockperf, qperf, ping, fping), {tbytes / 1e6:.1f} MB, rows {len(dft)}")
        print(f"  {'load_dataset (text)':<27} {t_t:7.2f} s  {nt / t_t:9.0f} files/s  "
              f"{tbytes / 1e6 / t_t:7.1f} MB/s  ({(nt / t_t) / (args.n / t_l):.2f}x the JSON "
              f"files/s)")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
