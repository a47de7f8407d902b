"""Plots of the latency / throughput models against measurements.

Every function takes ``ax=None`` (a new figure when None), returns the Axes, never
calls ``plt.show()`` and imports matplotlib lazily.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from cnimodel.plotting.models import plot_latency_vs_load, plot_throughput_vs_mtu
>>> ax = plot_latency_vs_load(paths=["host", "overlay"])
>>> ax.get_ylabel()
'p99 latency [us]'
>>> ax = plot_throughput_vs_mtu(paths=["host", "overlay"], link_rate_bps=40e9)
>>> len(ax.lines) >= 2
True
"""
from __future__ import annotations

import numpy as np

from ..display import label
from ..latency import rr_latency
from ..predict import predict
from ._style import get_ax, path_color

__all__ = ["plot_measured_vs_predicted", "plot_residuals", "plot_latency_vs_load",
           "plot_throughput_vs_mtu"]

_MARKERS = {"link": "o", "cpu_stream": "s", "cpu_tx": "P", "cpu_rx": "X", "cpu_node": "p",
            "window": "^", "loss": "v", "packet_rate": "D"}


def _scale(quantity):
    if "throughput" in quantity:
        return 1e-9, "Gbit/s"
    return 1e6, "us"


def plot_measured_vs_predicted(fit_result, quantity=None, ax=None):
    """Measured against predicted values of a fit, one colour per path, with the 1:1 line.

    Parameters
    ----------
    fit_result : cnimodel.calibrate.FitResult
        (or its ``residuals`` DataFrame: ``path``, ``quantity``, ``measured``, ``predicted``).
    quantity : str, optional
        One of the fitted quantities (``"tcp_rr_latency"``, ``"tcp_stream_throughput"``, ...);
        default the most frequent one.
    """
    ax = get_ax(ax)
    r = getattr(fit_result, "residuals", fit_result)
    q = quantity or r["quantity"].value_counts().index[0]
    r = r[r["quantity"] == q]
    k, unit = _scale(q)
    for path, g in r.groupby("path", sort=False):
        ax.scatter(g["measured"] * k, g["predicted"] * k, label=str(path), s=18, color=path_color(path))
    if len(r):
        lo = float(min(r["measured"].min(), r["predicted"].min()) * k)
        hi = float(max(r["measured"].max(), r["predicted"].max()) * k)
        ax.plot([lo, hi], [lo, hi], color="0.5", lw=1, ls="--", label="1:1")
    ax.set_xlabel(f"measured [{unit}]")
    ax.set_ylabel(f"predicted [{unit}]")
    ax.set_title(f"{q}: measured vs predicted")
    ax.legend(fontsize="small")
    return ax


def plot_residuals(fit_result, x="msg_size_bytes", ax=None):
    """Relative residuals (predicted / measured - 1, in %) of a fit against a column, per path."""
    ax = get_ax(ax)
    r = getattr(fit_result, "residuals", fit_result)
    for path, g in r.groupby("path", sort=False):
        xv = g[x] if x in g else np.arange(len(g))
        ax.scatter(xv, 100 * g["rel_error"], label=str(path), s=16, color=path_color(path))
    ax.axhline(0, color="0.5", lw=1)
    if x == "msg_size_bytes":
        ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel(label(x) if x in r else "measurement")
    ax.set_ylabel("predicted / measured - 1 [%]")
    ax.set_title("fit residuals")
    ax.legend(fontsize="small")
    return ax


def plot_latency_vs_load(params=None, paths=("host", "bridge", "overlay", "routing", "underlay"),
                         msg_size_bytes=1, quantile="p99", queue=None, max_load=0.95, ax=None,
                         **scenario):
    """Latency quantile (or mean) against utilisation for several paths [us].

    ``quantile``: ``"p50"``, ``"p90"``, ``"p99"`` or ``"mean"``; queue model and percentile
    method as in :func:`cnimodel.latency.queue_latency`.
    """
    ax = get_ax(ax)
    rho = np.linspace(0.0, max_load, 60)
    key = "latency_mean_s" if quantile == "mean" else f"latency_{quantile}_s"
    for path in paths:
        r = rr_latency(params, path, msg_size_bytes, rho, queue, **scenario)
        ax.plot(rho * 100, np.asarray(r[key]) * 1e6, label=str(path), color=path_color(path))
    ax.set_xlabel("load (utilisation rho) [%]")
    ax.set_ylabel(f"{quantile} latency [us]")
    ax.set_yscale("log")
    ax.set_title(f"request/response latency vs load ({msg_size_bytes:g} B)")
    ax.legend(fontsize="small")
    return ax


def plot_throughput_vs_mtu(params=None, paths=("host", "bridge", "overlay", "routing", "underlay"),
                           mtus=None, link_rate_bps=10e9, streams=1, ax=None, measured=None,
                           **scenario):
    """Predicted throughput against underlay MTU per path, the binding bound marked.

    Marker shape per point shows the bound (o link, s CPU, ^ window, v loss, D packet rate).
    ``measured`` (optional tidy frame with ``path``, ``underlay_mtu_bytes``, ``throughput_bps``)
    is overlaid as crosses.
    """
    ax = get_ax(ax)
    mtus = np.asarray(mtus if mtus is not None else np.linspace(1280, 9000, 40).round())
    bounds = []
    for path in paths:
        df = predict(params, path=path, underlay_mtu_bytes=mtus, link_rate_bps=link_rate_bps,
                     streams=streams, test="stream", **scenario)
        color = path_color(path)
        ax.plot(mtus, df["throughput_bps"] / 1e9, label=str(path), lw=1.2, color=color)
        for b, m in _MARKERS.items():
            sel = (df["bound"] == b).to_numpy()
            if sel.any():
                ax.scatter(mtus[sel], df["throughput_bps"][sel] / 1e9, marker=m, s=14, color=color)
                bounds += [b] if b not in bounds else []
        if measured is not None:
            mm = measured[measured["path"] == path]
            ax.scatter(mm["underlay_mtu_bytes"], mm["throughput_bps"] / 1e9, marker="x", color=color,
                       label=f"{path} measured" if len(mm) else None)
    # one legend entry per bound that binds somewhere, in grey (the colour is the path's)
    for b in bounds:
        ax.scatter([], [], marker=_MARKERS[b], s=14, color="0.4", label=f"bound: {b}")
    ax.set_xlabel("underlay MTU [B]")
    ax.set_ylabel("throughput [Gbit/s]")
    rate = "unshaped" if not np.isfinite(link_rate_bps) else f"{link_rate_bps / 1e9:g} Gbit/s"
    ax.set_title(f"throughput vs MTU ({rate}, {streams} stream{'s' if streams != 1 else ''})")
    ax.legend(fontsize="small")
    return ax
