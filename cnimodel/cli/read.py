"""``cnimodel read``: benchmark files or dataset directories -> tidy rows (CSV / Parquet)."""
from __future__ import annotations

import os
import sys

from ..errors import DataFormatError, ParameterError
from ._types import size_bytes
from ..io.access import MAX_DECOMPRESSED_BYTES, MAX_FILE_BYTES, Limits, display_path


def register(sub):
    p = sub.add_parser("read", help="read benchmark outputs into the tidy schema",
                       description="Read iperf3 (JSON and text), iperf2, netperf, k8s-netperf, "
                       "knb, flent, ping, fping, sockperf, qperf and uperf "
                       "outputs (files or dataset directories) and print or write one row per "
                       "measured run. Skipped files are listed on stderr.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="file or dataset directory")
    p.add_argument("--format", help="force a reader (iperf3, iperf2, netperf, k8s-netperf, knb, "
                   "flent, ping, fping, sockperf, qperf, iperf3-text, uperf); default: detected "
                   "from the content")
    p.add_argument("--out", default="-", metavar="FILE",
                   help="FILE.csv, FILE.parquet or - for CSV on stdout (default)")
    p.add_argument("--strict", action="store_true", help="stop at the first bad file (exit 2)")
    add_access_flags(p)
    p.set_defaults(func=run)


def add_access_flags(p):
    """The readers' guarded-access flags (caps, symlinks), shared by the commands that read data."""
    p.add_argument("--max-bytes", type=size_bytes, metavar="SIZE",
                   help=f"largest file read (default {MAX_FILE_BYTES >> 30}G); larger files are skipped")
    p.add_argument("--max-decompressed-bytes", type=size_bytes, metavar="SIZE",
                   help=f"largest decompressed size of a gzip file (default "
                   f"{MAX_DECOMPRESSED_BYTES >> 30}G)")
    p.add_argument("--follow-symlinks", action="store_true",
                   help="also read symlinked files whose target is outside the dataset directory")


def run(args) -> int:
    import pandas as pd

    from ..io.dataset import load_dataset
    from ..io._common import read_file
    from ..io.detect import parse_bytes
    from ..io.schema import check_frame, frame_from_rows

    limits = Limits(args.max_bytes, args.max_decompressed_bytes)
    frames, skipped, findings = [], [], []
    for path in args.paths:
        if os.path.isdir(path):
            if args.format:
                raise ParameterError("--format", args.format, "no --format with a directory "
                                     "(formats are detected per file)")
            df, report = load_dataset(path, strict=args.strict, max_bytes=args.max_bytes,
                                      max_decompressed_bytes=args.max_decompressed_bytes,
                                      follow_symlinks=args.follow_symlinks)
            skipped += [(s.path, s.reason) for s in report.skipped]
            findings += report.findings
            frames.append(df)
            continue
        shown = display_path(path)
        try:  # a file named on the command line is read wherever it links to
            noted = []
            rows, _ = parse_bytes(read_file(path, shown, limits), shown, args.format,
                                  findings=noted)
            fdf, found = check_frame(frame_from_rows(rows))  # the schema's quality check
            if found and not len(fdf):  # nothing kept: the file gives no measurement (as read())
                if args.strict:
                    raise DataFormatError(shown, found[0].location, "a row the schema check keeps",
                                          found=found[0].reason)
                skipped.append((shown, f"at {found[0].location}: {found[0].reason}"))
                continue
            frames.append(fdf)
            findings += noted + found
        except DataFormatError as exc:
            if args.strict:
                raise
            skipped.append((shown, str(exc)))
        except OSError as exc:  # missing / unreadable file: say so in one line
            if args.strict:
                raise DataFormatError(shown, "file", "a readable file",
                                      found=exc.strerror or str(exc)) from None
            skipped.append((shown, f"cannot read: {exc.strerror or exc}"))
    df = pd.concat(frames, ignore_index=True) if frames else None
    out = args.out
    if out != "-" and not out.endswith((".parquet", ".csv")):
        raise ParameterError("--out", out, "a name ending in .csv or .parquet, or -")
    if df is not None:
        if out == "-":
            df.to_csv(sys.stdout, index=False)
        elif out.endswith(".parquet"):
            df.to_parquet(out, index=False)
        else:
            df.to_csv(out, index=False)
    for path, reason in skipped:
        print(f"cnimodel read: skipped {path}: {reason}", file=sys.stderr)
    for f in findings:  # read but not kept (schema check, what readers dropped)
        print(f"cnimodel read: not kept {f.path} ({f.location}): {f.reason}", file=sys.stderr)
    if df is None or (len(df) == 0 and skipped):
        print("cnimodel read: error: no file could be read", file=sys.stderr)
        return 2
    return 0
