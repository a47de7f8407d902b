"""The headline figures the history keeps per run: the one adapter to :mod:`cnimodel.summary`.

Everything the history stores about a run's figures goes through :func:`run_figures`, so a
change of the summary package's API is one edit here.  The figures are those of the
report (:func:`cnimodel.summary.headline_figures`): per scenario and path the median with
its CI, the overheads against the baseline path, the headline sentences.

>>> import pandas as pd
>>> df = pd.DataFrame({"path": ["host"] * 3 + ["overlay"] * 3, "test": "rr", "protocol": "tcp",
...                    "msg_size_bytes": 1024.0,
...                    "latency_mean_s": [60e-6, 61e-6, 62e-6, 72e-6, 73e-6, 75e-6]})
>>> f = run_figures(df)
>>> f["baseline"], len(f["medians"]), f["headline"][0].split(" (")[0]
('host', 2, 'overlay adds 12 us to TCP request/response 1 KiB latency against host')
"""
from __future__ import annotations

from ..summary import headline_figures

__all__ = ["run_figures", "MEDIAN_KEYS"]

#: Keys of one ``medians`` record the trend reads (besides the scenario columns).
MEDIAN_KEYS = ("path", "scenario", "metric", "n", "median", "ci_low", "ci_high")

#: Bootstrap resamples of the stored figures (the report's default is 4000; the history
#: keeps medians with CIs, which do not use the bootstrap, and the overheads' CIs).
N_BOOT = 2000


def run_figures(df, baseline: str = "host") -> dict:
    """Headline figures of one run's tidy rows (JSON-ready); the baseline path is ``host``
    when measured, else the first path in the frame; no path at all: empty figures."""
    if df is None or len(df) == 0 or "path" not in df.columns or not df["path"].notna().any():
        return {"baseline": None, "medians": [], "overheads": [], "headline": [], "n_rows": 0}
    paths = [str(p) for p in df["path"].dropna().unique()]
    base = baseline if baseline in paths else paths[0]
    f = headline_figures(df, baseline=base, n_boot=N_BOOT)
    return {k: f[k] for k in ("baseline", "method", "n_rows", "medians", "overheads", "headline",
                              "mtu_findings", "n_misconfigured") if k in f}
