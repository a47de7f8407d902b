"""Model plots: take ax=None, return the Axes, mark the binding bound."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from cnimodel.calibrate import fit  # noqa: E402
from cnimodel.params import ModelParams  # noqa: E402
from cnimodel.plotting import (plot_latency_vs_load, plot_measured_vs_predicted,  # noqa: E402
                               plot_residuals, plot_throughput_vs_mtu)
from cnimodel.predict import predict  # noqa: E402


def _fit():
    sc = pd.DataFrame({"path": np.repeat(["host", "overlay", "routing"], 3),
                       "msg_size_bytes": np.tile([1, 1024, 8192], 3), "test": "rr",
                       "link_rate_bps": 10e9})
    m = predict(ModelParams(base_rtt_s=40e-6), sc)
    return fit(m[["path", "test", "msg_size_bytes", "link_rate_bps", "latency_mean_s"]])


def test_fit_plots_return_axes():
    res = _fit()
    ax = plot_measured_vs_predicted(res)
    assert ax.get_xlabel() == "measured [us]" and len(ax.collections) == 3
    fig, ax2 = plt.subplots()
    assert plot_residuals(res, ax=ax2) is ax2
    plt.close("all")


def test_latency_vs_load_rises():
    ax = plot_latency_vs_load(paths=["host", "overlay"], quantile="p99", queue="mm1")
    for line in ax.lines:
        y = line.get_ydata()
        assert np.all(np.diff(y) >= 0)
    plt.close("all")


def test_throughput_vs_mtu_marks_bounds():
    ax = plot_throughput_vs_mtu(paths=["host", "overlay"], link_rate_bps=40e9)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "bound: cpu_stream" in labels
    ax = plot_throughput_vs_mtu(paths=["host"], link_rate_bps=2e9, accounting="l2")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "bound: link" in labels
    plt.close("all")
