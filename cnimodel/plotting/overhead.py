"""Plots of the byte model: goodput / efficiency against MTU and message size.

Every function takes ``ax=None`` (a new figure is made when None), returns the
Axes, never calls ``plt.show()`` and imports matplotlib lazily.
"""
from __future__ import annotations

import numpy as np

from .. import overhead as ov
from ..paths import PATH_NAMES, get_path
from ._style import get_ax, path_color

__all__ = ["plot_goodput_vs_mtu", "plot_efficiency_vs_message_size"]


def plot_goodput_vs_mtu(paths=PATH_NAMES, underlay_mtu_bytes=None, link_rate_bps=10e9,
                        accounting="wire", ip_version=4, ax=None):
    """Line-rate goodput bound of each path against the underlay MTU.

    Same-node paths (bridge) cross no link and are left out.

    Parameters
    ----------
    paths : sequence of str or Path
    underlay_mtu_bytes : array, optional
        MTUs to plot [bytes]; default 1400..9000.
    link_rate_bps : float
        Line rate [bit/s].
    accounting : {"wire", "l2"}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = plot_goodput_vs_mtu(link_rate_bps=10e9)
    >>> ax.get_ylabel()
    'goodput bound [Gbit/s]'
    """
    ax = get_ax(ax)
    mtu = np.arange(1400, 9001, 10) if underlay_mtu_bytes is None else np.asarray(underlay_mtu_bytes)
    for i, p in enumerate(paths):
        path = get_path(p)
        if path.same_node:  # no link crossed: the line-rate bound does not apply
            continue
        g = ov.summarize(path=path, underlay_mtu_bytes=mtu, link_rate_bps=link_rate_bps,
                         accounting=accounting, ip_version=ip_version)["goodput_bps"]
        ax.plot(mtu, g / 1e9, label=f"{path.name} ({path.encap})", color=path_color(path.name),
                linestyle="--" if path.encap == "none" and path.name != "host" else "-")
    ax.axhline(link_rate_bps / 1e9, color="0.6", linewidth=0.8, linestyle=":")
    ax.set_xlabel("underlay MTU [B]")
    ax.set_ylabel("goodput bound [Gbit/s]")
    ax.set_title(f"Line-rate goodput at {link_rate_bps / 1e9:g} Gbit/s ({accounting} accounting)")
    ax.legend(fontsize="small")
    return ax


def plot_efficiency_vs_message_size(paths=PATH_NAMES, msg_size_bytes=None, underlay_mtu_bytes=1500,
                                    accounting="wire", ip_version=4, ax=None):
    """Payload efficiency (payload / bytes on the link) of each path against message size.

    The saw-tooth shows each message needing ``ceil(m / MSS)`` packets.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = plot_efficiency_vs_message_size(underlay_mtu_bytes=1500)
    >>> ax.get_xscale()
    'log'
    """
    ax = get_ax(ax)
    m = (np.unique(np.geomspace(1, 65536, 400).astype(int)) if msg_size_bytes is None
         else np.asarray(msg_size_bytes))
    for i, p in enumerate(paths):
        path = get_path(p)
        eff = ov.summarize(path=path, underlay_mtu_bytes=underlay_mtu_bytes, msg_size_bytes=m,
                           accounting=accounting, ip_version=ip_version, _skip_rate=True)["efficiency"]
        ax.plot(m, 100 * eff, label=path.name, color=path_color(path.name))
    ax.set_xscale("log")
    ax.set_xlabel("message size [B]")
    ax.set_ylabel("payload efficiency [%]")
    ax.set_title(f"Payload per byte on the link, underlay MTU {underlay_mtu_bytes} B")
    ax.legend(fontsize="small")
    return ax
