"""Attribution plot: each path's predicted latency (or CPU cost per byte) as a stacked bar of
its terms (:mod:`cnimodel.explain`).

Like every plotting function: ``ax=None`` makes a new figure, the Axes is returned,
``plt.show()`` is never called and matplotlib is imported lazily (in :func:`._style.get_ax`).
"""
from __future__ import annotations

import numpy as np

from ..display import unit as display_unit
from ..engine import HOPS
from ..errors import ParameterError
from ..explain import cpu_terms, latency_terms
from ..paths import PATH_NAMES, get_path
from ._style import get_ax, path_color

__all__ = ["TERM_ORDER", "attribution_table", "plot_attribution"]

#: Stacking order (bottom first) and colour index of every term explain can return: the hop
#: kinds in catalogue order, then the non-hop terms.  Colours come from matplotlib's ``tab20``
#: by this index, so a term has the same colour in every attribution plot.
TERM_ORDER = tuple(f"hop:{h}" for h in HOPS) + (
    "per_byte", "serialization", "propagation", "base_rtt", "extra_rtt", "connection", "queueing",
    "copy", "send_calls", "wire_packets")


def _term_color(term: str, cmap) -> tuple:
    i = TERM_ORDER.index(term) if term in TERM_ORDER else len(TERM_ORDER)
    return cmap(i % 20 / 19.0)


def attribution_table(paths=PATH_NAMES, params=None, kind="latency", test="rr", **scenario):
    """Terms of every path as a wide DataFrame: one row per path, one column per term (in
    :data:`TERM_ORDER`), values in seconds (``kind="latency"``) or seconds per payload byte
    (``kind="cpu"``); ``attrs["total"]`` holds each path's engine total.

    Examples
    --------
    >>> t = attribution_table(("host", "overlay"))
    >>> bool(abs(t.sum(axis=1) - t.attrs["total"]).max() < 1e-15)
    True
    """
    import pandas as pd

    rows, totals = {}, {}
    for p in paths:
        name = get_path(p).name
        if kind == "latency":
            df = latency_terms(params, path=p, test=test, **scenario)
            rows[name] = df.set_index("term")["seconds"]
            totals[name] = df.attrs["total_s"]
        elif kind == "cpu":
            df = cpu_terms(params, path=p, **scenario)
            rows[name] = df.groupby("term", sort=False)["s_per_byte"].sum()
            totals[name] = df.attrs["total_s_per_byte"]
        else:
            raise ParameterError("kind", kind, "'latency' or 'cpu'")
    wide = pd.DataFrame(rows).T.fillna(0.0)
    cols = [t for t in TERM_ORDER if t in wide] + [t for t in wide if t not in TERM_ORDER]
    wide = wide[[c for c in cols if (wide[c] != 0).any()]]
    wide.attrs["total"] = pd.Series(totals)
    return wide


def plot_attribution(paths=PATH_NAMES, params=None, kind="latency", test="rr", ax=None,
                     **scenario):
    """Stacked bars, one per path: the predicted latency of one transaction (``kind="latency"``,
    [us]; ``test`` ``"rr"`` or ``"crr"``) or the CPU cost per payload byte of a bulk stream
    (``kind="cpu"``, [ns/B]) split into its terms.  ``scenario``: one scenario's columns
    as for :func:`cnimodel.predict.predict` (scalars).  Bars are outlined and labelled in each
    path's fixed colour; each term keeps one colour across plots (:data:`TERM_ORDER`).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = plot_attribution(("host", "overlay"), msg_size_bytes=64)
    >>> ax.get_ylabel()
    'latency of one transaction [us]'
    """
    wide = attribution_table(paths, params, kind, test, **scenario)
    u = display_unit("latency_mean_s" if kind == "latency" else "cpu_per_byte_s")
    scale, unit = u.scale, u.unit
    ax = get_ax(ax)
    import matplotlib

    cmap = matplotlib.colormaps["tab20"]
    x = np.arange(len(wide))
    pos, neg = np.zeros(len(wide)), np.zeros(len(wide))
    for term in wide.columns:
        v = wide[term].to_numpy() * scale
        bottom = np.where(v >= 0, pos, neg)
        ax.bar(x, v, bottom=bottom, width=0.6, label=term, color=_term_color(term, cmap),
               linewidth=0)
        pos, neg = pos + np.clip(v, 0, None), neg + np.clip(v, None, 0)
    total = wide.attrs["total"].reindex(wide.index).to_numpy() * scale
    colors = [path_color(p, i) for i, p in enumerate(wide.index)]
    ax.bar(x, total, width=0.6, fill=False, edgecolor=colors, linewidth=1.6)
    for xi, t, c in zip(x, total, colors):
        ax.annotate(f"{t:.3g}", (xi, t), ha="center", va="bottom", fontsize="small", color=c,
                    xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(x, list(wide.index))
    for lab, c in zip(ax.get_xticklabels(), colors):
        lab.set_color(c)
    ax.set_ylabel(("latency of one transaction" if kind == "latency" else "CPU per payload byte")
                  + f" [{unit}]")
    ax.set_title(("Latency" if kind == "latency" else "CPU cost") + f" by term [{unit}]")
    ax.legend(fontsize="x-small", ncol=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax
