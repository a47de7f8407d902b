"""plotting/attribution.py: stacked bars of explain's terms, per path, in the fixed colours."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cnimodel.errors import ParameterError  # noqa: E402
from cnimodel.explain import cpu_terms, latency_terms  # noqa: E402
from cnimodel.paths import PATH_NAMES  # noqa: E402
from cnimodel.plotting._style import PATH_COLORS  # noqa: E402
from cnimodel.plotting.attribution import TERM_ORDER, attribution_table, plot_attribution  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize("kind", ["latency", "cpu"])
def test_table_rows_sum_to_the_engine_totals(kind):
    t = attribution_table(PATH_NAMES, kind=kind, netfilter_rules=500, msg_size_bytes=1024)
    assert list(t.index) == list(PATH_NAMES)
    np.testing.assert_allclose(t.sum(axis=1), t.attrs["total"].reindex(t.index), rtol=1e-12)
    assert [c for c in t.columns if c in TERM_ORDER] == [c for c in TERM_ORDER if c in t.columns]
    one = latency_terms(path="overlay", msg_size_bytes=1024, netfilter_rules=500) if kind == "latency" \
        else cpu_terms(path="overlay", msg_size_bytes=1024, netfilter_rules=500)
    val = "seconds" if kind == "latency" else "s_per_byte"
    assert t.loc["overlay", "hop:encap"] == pytest.approx(one.loc[one.term == "hop:encap", val].sum())


@pytest.mark.parametrize("kind", ["latency", "cpu"])
def test_plot_draws_one_stacked_bar_per_path_in_the_path_colours(kind):
    import matplotlib.pyplot as plt

    fig, given = plt.subplots()
    ax = plot_attribution(kind=kind, ax=given)
    assert ax is given
    t = attribution_table(kind=kind)
    scale = 1e6 if kind == "latency" else 1e9
    ticks = [lab.get_text() for lab in ax.get_xticklabels()]
    assert ticks == list(PATH_NAMES)
    assert [matplotlib.colors.to_hex(lab.get_color()) for lab in ax.get_xticklabels()] == \
        [PATH_COLORS[p] for p in PATH_NAMES]
    filled = [c for c in ax.containers if c.get_label() in t.columns]
    assert [c.get_label() for c in filled] == list(t.columns)
    tops = np.zeros(len(PATH_NAMES))
    for c in filled:
        tops += [r.get_height() for r in c.patches]
    np.testing.assert_allclose(tops, t.attrs["total"].to_numpy() * scale, rtol=1e-9)
    outline = [c for c in ax.containers if c.get_label() not in t.columns][0]
    assert [matplotlib.colors.to_hex(r.get_edgecolor()) for r in outline.patches] == \
        [PATH_COLORS[p] for p in PATH_NAMES]
    fig.savefig("/dev/null", format="png")


def test_term_colours_are_stable_across_plots():
    a = plot_attribution(("host", "overlay"))
    b = plot_attribution(("overlay",))
    col = lambda ax: {c.get_label(): tuple(c.patches[0].get_facecolor()) for c in ax.containers}  # noqa: E731
    ca, cb = col(a), col(b)
    assert ca["hop:encap"] == cb["hop:encap"] and ca["hop:veth"] == cb["hop:veth"]


def test_new_figure_and_bad_kind():
    ax = plot_attribution(("host",), test="crr")
    assert ax.figure is not None and "connection" in [c.get_label() for c in ax.containers]
    with pytest.raises(ParameterError):
        attribution_table(kind="bytes")


def test_importing_the_module_does_not_import_pyplot():
    import subprocess
    import sys

    code = ("import sys, cnimodel.plotting.attribution; "
            "print('matplotlib.pyplot' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "False", r.stderr
