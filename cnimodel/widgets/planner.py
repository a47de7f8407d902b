"""The capacity-planner dashboard (ipywidgets; JupyterLab and Voila).

A thin layer over :class:`~cnimodel.widgets.model.PlannerModel`: controls are
read into :class:`~cnimodel.widgets.model.PlannerInputs`, the model computes,
and three ``HTML`` widgets receive the status line, the per-path table and the
latency-vs-load SVG (:mod:`cnimodel.widgets.render`).  One control change is one
computation and three small messages; nothing is rebuilt.

Continuous sliders (pods per node, load per pod) are throttled: the first
change of a drag is drawn at once, further changes within ``throttle_s`` are
collapsed into one trailing update with the latest values.

Out-of-range inputs never raise into the page: the model catches
:class:`~cnimodel.errors.CnimodelError`, the status line shows its one-line
message and the last valid results stay.

Examples
--------
>>> from cnimodel.widgets import planner
>>> w = planner()
>>> w.controls["underlay_mtu"].value = 9000
>>> round(float(w.model.result.table.loc["overlay", "pod_mtu_bytes"]))
8950
"""
from __future__ import annotations

import asyncio
import base64
import time

import ipywidgets as W

from ..encap import ENCAPSULATIONS
from ..planning.limit_table import INSTANCES, ROUTE_TABLES
from . import render
from .model import PlannerInputs, PlannerModel

__all__ = ["planner", "PlannerWidget"]

_DESC = {"description_width": "190px"}
_WIDE = W.Layout(width="340px")


def _controls(i: PlannerInputs) -> dict:
    encaps = [n for n in ENCAPSULATIONS if n != "none"]
    return {
        "link_rate": W.FloatText(value=i.link_rate_bps / 1e9, description="link rate [Gbit/s]",
                                 style=_DESC, layout=_WIDE),
        "underlay_mtu": W.IntText(value=i.underlay_mtu_bytes, description="underlay MTU [B]",
                                  style=_DESC, layout=_WIDE),
        "pod_mtu": W.IntText(value=i.pod_mtu_bytes or 0, description="pod MTU [B] (0 = largest)",
                             style=_DESC, layout=_WIDE),
        "ip_version": W.Dropdown(options=[("IPv4", 4), ("IPv6", 6)], value=i.ip_version,
                                 description="IP version", style=_DESC, layout=_WIDE),
        "encap": W.Dropdown(options=encaps, value=i.overlay_encap,
                            description="overlay encapsulation", style=_DESC, layout=_WIDE),
        "msg_size": W.IntText(value=i.msg_size_bytes, description="message size [B]",
                              style=_DESC, layout=_WIDE),
        "streams": W.IntSlider(value=i.streams, min=1, max=64, description="streams per node",
                               continuous_update=True, style=_DESC, layout=_WIDE),
        "pods_per_node": W.IntSlider(value=i.pods_per_node, min=1, max=250,
                                     description="pods per node", continuous_update=True,
                                     style=_DESC, layout=_WIDE),
        "load_per_pod": W.FloatLogSlider(value=i.load_per_pod_bps / 1e6, base=10, min=0, max=4,
                                         step=0.001, description="load per pod [Mbit/s]",
                                         continuous_update=True, readout_format=".4g",
                                         style=_DESC, layout=_WIDE),
        "cores": W.IntText(value=i.cores, description="CPU cores per node", style=_DESC,
                           layout=_WIDE),
        "clock": W.FloatText(value=(i.cpu_clock_hz or 0) / 1e9,
                             description="CPU clock [GHz] (0: as fitted)", style=_DESC,
                             layout=_WIDE),
        "ref_clock": W.FloatText(value=(i.reference_clock_hz or 0) / 1e9,
                                 description="parameters' CPU clock [GHz]", style=_DESC,
                                 layout=_WIDE),
        "target": W.FloatText(value=i.latency_target_p99_s * 1e6, description="p99 target [us]",
                              style=_DESC, layout=_WIDE),
        "sizing": W.ToggleButtons(options=[("total demand", "demand"), ("node count", "nodes")],
                                  value=i.sizing, description="size for", style={
                                      "description_width": "70px", "button_width": "120px"}),
        "demand": W.FloatText(value=i.total_demand_bps / 1e9, description="total demand [Gbit/s]",
                              style=_DESC, layout=_WIDE),
        "node_count": W.IntText(value=i.node_count, description="node count", style=_DESC,
                                layout=_WIDE),
        "cluster_cidr": W.Text(value=i.cluster_cidr or "", placeholder="default of the IP version",
                               description="cluster (pod) CIDR", continuous_update=False,
                               style=_DESC, layout=_WIDE),
        "node_mask": W.IntText(value=i.node_mask or 0, description="node CIDR mask (0: 24 / 64)",
                               style=_DESC, layout=_WIDE),
        "max_pods": W.IntText(value=i.max_pods, description="kubelet max-pods", style=_DESC,
                              layout=_WIDE),
        "route_limit": W.Dropdown(options=_route_options(i.route_limit), value=i.route_limit or 0,
                                  description="route table (routing)", style=_DESC, layout=_WIDE),
        "instance": W.Dropdown(options=[("none", "")] + [(k, k) for k in sorted(INSTANCES)],
                               value=i.instance_type or "", description="instance (underlay ENIs)",
                               style=_DESC, layout=_WIDE),
        "params_file": W.Text(value=i.params_file or "", placeholder="defaults (cited)",
                              description="parameters file (JSON)", continuous_update=False,
                              style=_DESC, layout=_WIDE),
    }


def _route_options(current=None):
    """Route-table choices: none, each published limit (label: entries), and ``current``."""
    opts = [("none (BGP, host-gw)", 0)] + [(f"{r.label}: {r.entries}", r.entries)
                                          for r in ROUTE_TABLES.values()]
    if current and current not in [v for _, v in opts]:
        opts.append((f"custom: {current}", current))
    return opts


#: Controls whose slider sends values while dragging (throttled).
_CONTINUOUS = ("streams", "pods_per_node", "load_per_pod")


class PlannerWidget(W.VBox):
    """The dashboard: a ``VBox`` with ``controls`` (dict), ``model``, and output widgets.

    Parameters
    ----------
    inputs : PlannerInputs, optional
    params : ModelParams, optional
        Overrides the parameters-file control.
    throttle_s : float
        Minimum spacing of updates while a slider is dragged [s]; 0 disables.
    """

    def __init__(self, inputs: PlannerInputs | None = None, params=None, throttle_s: float = 0.05,
                 **kw):
        inputs = inputs or PlannerInputs()
        self.throttle_s = float(throttle_s)
        self.controls = _controls(inputs)
        self.model = PlannerModel(inputs, params=params)
        if params is not None:  # a ModelParams object given in code wins over the file control
            self.controls["params_file"].disabled = True
            self.controls["params_file"].placeholder = "ModelParams given in code"
        self.status = W.HTML(layout=W.Layout(width="100%", max_width="860px"))
        self.status.add_class("cnimodel-planner-status-widget")
        self.table = W.HTML()
        self.table.add_class("cnimodel-planner-table-widget")
        self.plot = W.HTML()
        self.plot.add_class("cnimodel-planner-plot-widget")
        self.export_links = W.HTML()
        b_csv = W.Button(description="export CSV", icon="download", layout=W.Layout(width="120px"))
        b_json = W.Button(description="export JSON", icon="download", layout=W.Layout(width="120px"))
        b_csv.on_click(lambda _b: self._export("csv"))
        b_json.on_click(lambda _b: self._export("json"))
        self._last_t = 0.0
        self._pending = None
        c = self.controls
        section = lambda t: W.HTML(f"<b>{t}</b>")  # noqa: E731
        left = W.VBox([
            section("network"), c["link_rate"], c["underlay_mtu"], c["pod_mtu"], c["ip_version"],
            c["encap"],
            section("traffic"), c["msg_size"], c["streams"], c["pods_per_node"], c["load_per_pod"],
            section("node"), c["cores"], c["clock"], c["ref_clock"], c["target"],
            section("cluster"), c["sizing"], c["demand"], c["node_count"],
            section("addresses and routes"), c["cluster_cidr"], c["node_mask"], c["max_pods"],
            c["route_limit"], c["instance"],
            section("model"), c["params_file"],
            W.HBox([b_csv, b_json]), self.export_links,
        ], layout=W.Layout(width="360px", min_width="360px"))
        right = W.VBox([self.status, self.table, self.plot], layout=W.Layout(flex="1 1 auto"))
        title = W.HTML("<b style='font-size:15px'>cnimodel capacity planner</b> "
                       "<span style='color:#666'>(host and the four pod paths; SI inputs shown "
                       "in Gbit/s, Mbit/s, us)</span>")
        super().__init__([title, W.HBox([left, right])], **kw)
        self.add_class("cnimodel-planner")
        for name, w in c.items():
            w.add_class(f"cnimodel-ctl-{name}")  # stable selectors for browser tests
            w.observe(self._on_change, names="value")
        self._draw()

    # ------------------------------------------------------------------ reading
    def read_inputs(self) -> PlannerInputs:
        """The controls' values as :class:`PlannerInputs` (SI units; not validated)."""
        c = self.controls
        return self.model.inputs.replace(
            link_rate_bps=c["link_rate"].value * 1e9,
            underlay_mtu_bytes=c["underlay_mtu"].value,
            pod_mtu_bytes=c["pod_mtu"].value or None,
            ip_version=c["ip_version"].value,
            overlay_encap=c["encap"].value,
            msg_size_bytes=c["msg_size"].value,
            streams=c["streams"].value,
            pods_per_node=c["pods_per_node"].value,
            load_per_pod_bps=c["load_per_pod"].value * 1e6,
            cores=c["cores"].value,
            cpu_clock_hz=(c["clock"].value * 1e9) or None,
            reference_clock_hz=(c["ref_clock"].value * 1e9) or None,
            latency_target_p99_s=c["target"].value * 1e-6,
            sizing=c["sizing"].value,
            total_demand_bps=c["demand"].value * 1e9,
            node_count=c["node_count"].value,
            params_file=c["params_file"].value.strip() or None,
            cluster_cidr=c["cluster_cidr"].value.strip() or None,
            node_mask=c["node_mask"].value or None,
            max_pods=c["max_pods"].value,
            route_limit=c["route_limit"].value or None,
            instance_type=c["instance"].value or None,
        )

    # ------------------------------------------------------------------ updating
    def _on_change(self, change):
        name = next((k for k, w in self.controls.items() if w is change["owner"]), None)
        if name in _CONTINUOUS and self.throttle_s > 0:
            self._throttled()
        else:
            self.refresh()

    def _throttled(self):
        if self._pending is not None:
            return  # a trailing update is scheduled; it reads the latest values
        wait = self.throttle_s - (time.monotonic() - self._last_t)
        if wait <= 0:
            self.refresh()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (plain Python): draw now
            self.refresh()
            return
        self._pending = loop.call_later(wait, self._trailing)

    def _trailing(self):
        self._pending = None
        self.refresh()

    def refresh(self) -> bool:
        """Read the controls, recompute and redraw; True when the inputs were valid."""
        t0 = self._last_t = time.monotonic()
        ok = self.model.update(self.read_inputs())
        self._draw(redraw_results=ok, t0=t0)
        return ok

    def _draw(self, redraw_results=True, t0=None):
        m = self.model
        if redraw_results and m.result is not None:
            self.table.value = render.table_html(m.result, m.version)
            self.plot.value = render.curve_svg(m.result, m.version)
        #: kernel time of the last update (compute + render) [s], shown as data-kernel-ms
        self.last_update_s = (time.monotonic() - t0) if t0 is not None else float("nan")
        self.status.value = render.status_html(m.status, m.status_kind, m.version,
                                               kernel_s=self.last_update_s)

    def _export(self, fmt):
        r = self.model.result
        if r is None:
            return
        text = r.to_csv() if fmt == "csv" else r.to_json(indent=1)
        mime = "text/csv" if fmt == "csv" else "application/json"
        b64 = base64.b64encode(text.encode()).decode()
        self._exports = getattr(self, "_exports", 0) + 1
        self.export_links.value = (
            f'<a class="cnimodel-planner-export" data-export="{self._exports}" '
            f'data-format="{fmt}" download="cnimodel-scenario.{fmt}" '
            f'href="data:{mime};base64,{b64}">download cnimodel-scenario.{fmt}</a>')


def planner(params=None, inputs: PlannerInputs | None = None, throttle_s: float = 0.05) -> PlannerWidget:
    """The capacity-planner dashboard for host and the four pod paths.

    Parameters
    ----------
    params : str, pathlib.Path or ModelParams, optional
        Calibrated parameters: a JSON file (shown in, and changeable from, the
        dashboard) or a :class:`~cnimodel.params.ModelParams`; None: cited defaults.
    inputs : PlannerInputs, optional
        Initial control values.
    throttle_s : float
        Minimum spacing of updates while a slider is dragged [s].

    Returns
    -------
    PlannerWidget
        Display it (last expression of a cell); ``.model.result`` holds the numbers.
    """
    inputs = inputs or PlannerInputs()
    obj = None
    if params is not None and not isinstance(params, (str, bytes)) and not hasattr(params, "__fspath__"):
        obj = params
    elif params is not None:
        inputs = inputs.replace(params_file=str(params))
    return PlannerWidget(inputs, params=obj, throttle_s=throttle_s)
