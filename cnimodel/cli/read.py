"""``cnimodel read``: benchmark files or dataset directories -> tidy rows (CSV / Parquet)."""
from __future__ import annotations

import os
import sys

from ..errors import DataFormatError, ParameterError


def register(sub):
    p = sub.add_parser("read", help="read benchmark outputs into the tidy schema",
                       description="Read iperf3, iperf2, netperf, k8s-netperf, knb and flent "
                       "outputs (files or dataset directories) and print or write one row per "
                       "measured run. Skipped files are listed on stderr.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="file or dataset directory")
    p.add_argument("--format", help="force a reader (iperf3, iperf2, netperf, k8s-netperf, knb, "
                   "flent); default: detected from the content")
    p.add_argument("--out", default="-", metavar="FILE",
                   help="FILE.csv, FILE.parquet or - for CSV on stdout (default)")
    p.add_argument("--strict", action="store_true", help="stop at the first bad file (exit 2)")
    p.set_defaults(func=run)


def run(args) -> int:
    import pandas as pd

    from ..io.dataset import load_dataset
    from ..io.detect import read

    frames, skipped = [], []
    for path in args.paths:
        if os.path.isdir(path):
            if args.format:
                raise ParameterError("--format", args.format, "no --format with a directory "
                                     "(formats are detected per file)")
            df, report = load_dataset(path, strict=args.strict)
            skipped += [(s.path, s.reason) for s in report.skipped]
            frames.append(df)
            continue
        try:
            frames.append(read(path, format=args.format))
        except DataFormatError as exc:
            if args.strict:
                raise
            skipped.append((path, str(exc)))
        except OSError as exc:  # missing / unreadable file: say so in one line
            if args.strict:
                raise DataFormatError(path, "file", "a readable file",
                                      found=exc.strerror or str(exc)) from None
            skipped.append((path, f"cannot read: {exc.strerror or exc}"))
    df = pd.concat(frames, ignore_index=True) if frames else None
    out = args.out
    if df is not None:
        if out == "-":
            df.to_csv(sys.stdout, index=False)
        elif out.endswith(".parquet"):
            df.to_parquet(out, index=False)
        elif out.endswith(".csv"):
            df.to_csv(out, index=False)
        else:
            raise ParameterError("--out", out, "a name ending in .csv or .parquet, or -")
    for path, reason in skipped:
        print(f"cnimodel read: skipped {path}: {reason}", file=sys.stderr)
    if df is None or (len(df) == 0 and skipped):
        print("cnimodel read: error: no file could be read", file=sys.stderr)
        return 2
    return 0
