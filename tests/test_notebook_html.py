"""One visual language: every notebook's HTML is clean, and a path keeps its colour.

Each notebook found by glob is executed once per run (:mod:`notebook_run`, shared with
``test_notebooks.py``), converted to HTML as ``cnimodel report`` does (nbconvert), and its
output areas are read: no leaked Python repr (``Text(0.5, 1.0, '...')``, ``<matplotlib...>``,
``<Figure size ...>``) and no output cell with more than 40 lines of plain text.

Colours are read from the plotted artists: every plot of the package draws a path in
:func:`cnimodel.display.path_color`, whatever other paths the figure holds.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from notebook_run import NOTEBOOKS, executed  # noqa: E402

LEAKS = ("Text(", "<matplotlib", "<Figure size", "<Axes:", "<AxesSubplot")
MAX_PLAIN_LINES = 40


def html_outputs(nb_file):
    """(HTML of the notebook, [(cell number, output area element)]) as nbconvert renders it."""
    import nbformat
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(str(nb_file), as_version=4))
    soup = BeautifulSoup(body, "html.parser")
    cells = soup.select("div.jp-CodeCell")
    return body, [(i, area) for i, c in enumerate(cells) for area in c.select("div.jp-OutputArea")]


def plain_lines(area) -> int:
    """Lines of plain text an output area shows (its <pre> blocks: streams, text/plain reprs,
    code blocks in Markdown output)."""
    return sum(len(pre.get_text().rstrip("\n").splitlines()) for pre in area.find_all("pre"))


def check_html(nb_file) -> list:
    """Problems of one executed notebook's HTML, as readable strings."""
    _, areas = html_outputs(nb_file)
    problems = []
    for i, area in areas:
        text = area.get_text()
        for leak in LEAKS:
            if leak in text:
                k = text.index(leak)
                problems.append(f"code cell {i}: leaked repr {text[k:k + 60]!r}")
        n = plain_lines(area)
        if n > MAX_PLAIN_LINES:
            problems.append(f"code cell {i}: {n} lines of plain text (at most {MAX_PLAIN_LINES})")
    return problems


def test_checker_finds_leaks_and_long_text(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    out = nbformat.v4.new_output("execute_result", data={"text/plain": "Text(0.5, 1.0, 'title')"},
                                 execution_count=1)
    long = nbformat.v4.new_output("stream", name="stdout", text="\n".join(map(str, range(60))))
    fine = nbformat.v4.new_output("stream", name="stdout", text="one line")
    nb.cells = [nbformat.v4.new_code_cell("ax.set_title('t')", outputs=[out]),
                nbformat.v4.new_code_cell("print()", outputs=[long]),
                nbformat.v4.new_code_cell("print()", outputs=[fine])]
    f = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(f))
    problems = check_html(f)
    assert len(problems) == 2, problems
    assert "leaked repr" in problems[0] and "60 lines" in problems[1]


@pytest.mark.slow
@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_html_is_clean(nb_path, tmp_path_factory):
    problems = check_html(executed(nb_path, tmp_path_factory))
    assert not problems, "\n".join(problems)


# -- colours read from the artists -------------------------------------------------------------

def _legend_colours(fig) -> dict:
    """{legend text: colour} over every legend of a figure (axes and figure legends)."""
    out = {}
    legends = [a.get_legend() for a in fig.axes] + list(fig.legends)
    for leg in (g for g in legends if g is not None):
        for text, h in zip(leg.get_texts(), leg.legend_handles):
            if hasattr(h, "get_color") and not hasattr(h, "get_facecolor"):
                c = h.get_color()
            else:
                c = h.get_facecolor()
            c = np.asarray(c, dtype=float).reshape(-1, 4)[0] if not isinstance(c, str) else c
            out[text.get_text()] = to_hex(c)
    return out


def _dataset():
    rng = np.random.default_rng(1)
    rows = []
    for cond in ("shaped", "unshaped"):
        for p, base in (("host", 30e-6), ("bridge", 33e-6), ("overlay", 45e-6), ("cilium", 38e-6)):
            for rep in range(3):
                rows.append({"path": p, "condition": cond, "test": "rr", "protocol": "tcp",
                             "msg_size_bytes": 1.0, "latency_mean_s": base * (1 + 0.05 * rng.random())})
    return pd.DataFrame(rows)


def test_same_path_same_colour_across_figures():
    import matplotlib.pyplot as plt

    from cnimodel.display import path_color
    from cnimodel.plotting import dataset as dplot
    from cnimodel.plotting import explore, models, overhead

    df = _dataset()
    figs = {
        "scenarios": dplot.plot_scenarios(df, baseline="host")[0, 0].figure,
        "distributions": explore.plot_distribution_panels(df, "latency_mean_s")[0, 0].figure,
        "latency vs load": models.plot_latency_vs_load(paths=["overlay", "host"]).figure,
        "throughput vs MTU": models.plot_throughput_vs_mtu(paths=["host", "bridge", "overlay"]).figure,
        "efficiency": overhead.plot_efficiency_vs_message_size(paths=["overlay", "routing"]).figure,
    }
    seen = {}
    for name, fig in figs.items():
        for text, colour in _legend_colours(fig).items():
            path = text.split(" ")[0]
            if path in ("host", "bridge", "overlay", "routing", "underlay", "cilium"):
                seen.setdefault(path, {})[name] = colour
        plt.close(fig)
    for path, by_fig in seen.items():
        assert set(by_fig.values()) == {path_color(path)}, (path, by_fig)
    # every built-in path seen in at least two figures, and the custom one too
    assert all(len(seen[p]) >= 2 for p in ("host", "bridge", "overlay", "cilium")), seen


def test_repetition_dots_in_their_path_colour():
    import matplotlib.pyplot as plt

    from cnimodel.display import path_color
    from cnimodel.plotting import dataset as dplot

    df = _dataset()
    one = df[df["condition"] == "shaped"]
    a = dplot.plot_repetitions(one, "latency_mean_s", baseline="host")
    b = dplot.plot_repetitions(one[one["path"].isin(["overlay", "cilium"])], "latency_mean_s")
    for ax in (a, b):
        names = [t.get_text() for t in ax.get_xticklabels()]
        dots = [c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_offsets())]
        assert [to_hex(c.get_facecolor()[0]) for c in dots] == [path_color(n) for n in names]
        plt.close(ax.figure)


def test_planner_uses_the_same_colours():
    from cnimodel.display import path_color
    from cnimodel.widgets.model import PlannerInputs, compute
    from cnimodel.widgets.render import curve_svg, table_html

    result = compute(PlannerInputs())
    svg, table = curve_svg(result), table_html(result)
    for p in result.table.index:
        assert f'data-path="{p}"' in svg
        assert f'stroke="{path_color(p)}"' in svg
        assert f'style="color:{path_color(p)}"' in table


def test_repetitions_plot_names_its_scenario():
    import matplotlib.pyplot as plt

    from cnimodel.plotting import dataset as dplot

    df = _dataset()
    ax = dplot.plot_repetitions(df[df["condition"] == "shaped"], "latency_mean_s")
    assert ax.get_title() == "shaped: TCP request/response 1 B"
    assert ax.get_ylabel() == "latency [us]"
    plt.close(ax.figure)


def test_distributions_never_pool_conditions_or_scenarios():
    import matplotlib.pyplot as plt
    from matplotlib.patches import PathPatch

    from cnimodel.plotting import explore

    df = pd.concat([_dataset(), _dataset().assign(msg_size_bytes=1024.0)], ignore_index=True)
    axes = explore.plot_distribution_panels(df, "latency_mean_s")
    assert axes.shape == (2, 1)  # one row per condition
    assert [t.get_text() for t in axes[-1, 0].get_xticklabels()] == ["TCP RR 1 B", "TCP RR 1 KiB"]
    for ax in axes[:, 0]:
        boxes = [p for p in ax.patches if isinstance(p, PathPatch)]
        assert len(boxes) == 2 * 4  # 2 scenarios x 4 paths, each box one cell's 3 runs
    plt.close(axes[0, 0].figure)
