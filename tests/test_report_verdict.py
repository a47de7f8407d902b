"""The verdict (cnimodel.summary.verdict / why / verdict_html), the details of the HTML export
and the batch index, checked against the library's own statistics on small frames and on the
bundled data."""
from __future__ import annotations

import json
import re

import nbformat
import numpy as np
import pandas as pd
import pytest

from conftest import REPO
from cnimodel import overhead as ov
from cnimodel import stats, summary
from cnimodel.report import load_dataset
from cnimodel.report.export import group_details, to_html
from cnimodel.report.index import render_index, summary_document
from cnimodel.summary.verdict import comparable_groups, headline_records, verdict
from cnimodel.summary.verdict_html import verdict_html
from cnimodel.summary.why import explain_verdict, verdict_sentences

DATA = REPO / "data"


def _frame(conditions=(("shaped", 2e9), ("unshaped", np.nan))):
    """host / overlay (cross-node), bridge (same-node), loopback (same-node by label), 4 reps."""
    rng = np.random.default_rng(3)
    rows = []
    paths = (("host", 30e-6, 1.91e9, False), ("overlay", 47e-6, 1.84e9, False),
             ("bridge", 36e-6, 20e9, True), ("loopback", 20e-6, 30e9, True))
    for cond, rate in conditions:
        for path, lat, thr, same in paths:
            if np.isnan(rate) and path in ("host", "overlay"):
                thr = thr * 8
            for rep in range(4):
                common = dict(condition=cond, link_rate_bps=rate, underlay_mtu_bytes=1500.0, path=path,
                              same_node=same if path == "loopback" else np.nan, repetition=rep)
                rows.append(dict(common, tool="netperf", test="rr", protocol="tcp", streams=1, msg_size_bytes=1.0,
                                 latency_p50_s=lat * (1 + rng.normal(0, 0.02)),
                                 latency_p99_s=2 * lat * (1 + rng.normal(0, 0.05))))
                rows.append(dict(common, tool="netperf", test="rr", protocol="tcp", streams=1,
                                 msg_size_bytes=1024.0, latency_p50_s=1.1 * lat * (1 + rng.normal(0, 0.02))))
                for streams in (1, 4):
                    rows.append(dict(common, tool="iperf3", test="stream", protocol="tcp", streams=streams,
                                     direction="send", throughput_bps=thr * (1 + rng.normal(0, 0.01)),
                                     cpu_local_cores=0.9, cpu_remote_cores=0.8 * (1 + rng.normal(0, 0.02))))
    return pd.DataFrame(rows)


def _groups_by_id(v):
    return {g["id"]: g for g in v["groups"]}


def test_cells_are_like_for_like_and_equal_the_stats_of_their_rows():
    df = _frame()
    v = verdict(df, n_boot=300, seed=1)
    groups = _groups_by_id(v)
    assert v["cells"], "the frame has comparable paths"
    for c in v["cells"]:
        g = groups[c["group"]]
        assert g["locality"] == "cross-node" and c["baseline"] == "host" and c["path"] == "overlay"
    # no same-node baseline given: bridge and loopback listed once each, with every group
    nc = {x["what"]: x for x in v["not_comparable"]}
    assert set(nc) == {"bridge", "loopback"}
    assert nc["bridge"]["groups"] == ["shaped / same-node", "unshaped / same-node"]
    # one cell recomputed from the rows it names
    c = next(c for c in v["cells"] if c["headline"] == "tput_n" and groups[c["group"]]["condition"] == "shaped")
    sel = df[(df.condition == "shaped") & (df.test == "stream") & (df.streams == 4)]
    expect = stats.compare(sel[sel.path == "overlay"].throughput_bps.to_numpy(),
                           sel[sel.path == "host"].throughput_bps.to_numpy(), 0.95, "welch-t", 300, 1)
    for k in ("median", "baseline_median", "relative", "relative_ci_low", "p_value"):
        assert c[k] == pytest.approx(expect[k]), k
    assert c["scenario"]["streams"] == 4 and c["worse"]


def test_same_node_baseline_is_a_parameter():
    v = verdict(_frame(), baselines={"same-node": "loopback"}, n_boot=200)
    groups = _groups_by_id(v)
    same = [c for c in v["cells"] if groups[c["group"]]["locality"] == "same-node"]
    assert same and {c["path"] for c in same} == {"bridge"} and {c["baseline"] for c in same} == {"loopback"}
    assert not v["not_comparable"]
    # per-condition override, most specific wins
    v2 = verdict(_frame(), baselines={"same-node": "loopback", "shaped/same-node": "bridge"}, n_boot=200)
    g2 = _groups_by_id(v2)
    assert {(g2[c["group"]]["condition"], c["path"]) for c in v2["cells"]
            if g2[c["group"]]["locality"] == "same-node"} == {("shaped", "loopback"), ("unshaped", "bridge")}


def test_shaped_and_unshaped_never_mix_even_without_a_condition_label():
    df = _frame().drop(columns="condition")
    keys = [(k["link_rate_bps"], k["locality"]) for k, _ in comparable_groups(df)]
    assert len(keys) == 4 and len({k for k in keys}) == 4
    v = verdict(df, n_boot=200)
    groups = _groups_by_id(v)
    for c in v["cells"]:
        if c["headline"] != "tput_1":
            continue
        unshaped = groups[c["group"]]["link_rate_bps"] is None
        host = df[(df.path == "host") & (df.test == "stream") & (df.streams == 1)
                  & (df.link_rate_bps.isna() == unshaped)]
        assert c["baseline_median"] == pytest.approx(host.throughput_bps.median())
    settings = {g["setting"] for g in v["groups"]}
    assert any("link 2 Gbit/s" in s for s in settings) and any(s.startswith("unshaped") for s in settings)
    v = verdict(df.assign(shaped=df.link_rate_bps.notna()), n_boot=200)  # a shaper label says so
    assert any("shaped to 2 Gbit/s" in g["setting"] for g in v["groups"])


def test_any_condition_name_and_rule_counts_are_their_own_groups():
    df = _frame((("mtu1500-2g", 2e9), ("mtu1500-2g-nft1000", 2e9), ("weird name/x", np.nan)))
    df["nft_forward_rules"] = np.where(df.condition == "mtu1500-2g-nft1000", 1000.0, 0.0)
    # the model's per-path input differs between paths of one condition (0 where a path does
    # not traverse the rules): it must not split the paths from their baseline
    df["netfilter_rules"] = np.where((df.condition == "mtu1500-2g-nft1000") & (df.path != "host"), 500.0, 0.0)
    v = verdict(df, n_boot=200)
    conds = [(g["condition"], g["nft_forward_rules"]) for g in v["groups"]]
    assert conds == [("mtu1500-2g", 0.0), ("mtu1500-2g-nft1000", 1000.0), ("weird name/x", 0.0)]
    assert any("1000 nftables rules" in g["setting"] for g in v["groups"])
    assert all(g["baseline"] == "host" for g in v["groups"])
    nft = [c for c in v["cells"] if v["groups"][c["group"]]["condition"] == "mtu1500-2g-nft1000"]
    assert nft and all(c["netfilter_rules"] == 500.0 for c in nft)


def test_one_tool_per_cell_and_headline_selection():
    df = _frame()
    extra = df[df.tool == "iperf3"].copy()
    extra["tool"] = "netperf"  # the same test measured by a second tool, on fewer rows
    extra = extra[extra.repetition < 2]
    v = verdict(pd.concat([df, extra]), n_boot=200)
    for c in v["cells"]:
        if c["headline"].startswith("tput"):
            assert c["scenario"]["tool"] == "iperf3"
        if c["headline"].startswith("rr_1k"):
            assert c["scenario"]["msg_size_bytes"] == 1024.0
        if c["headline"].startswith("rr_small"):
            assert c["scenario"]["msg_size_bytes"] == 1.0
    keys = {c["headline"] for c in v["cells"]}
    assert {"tput_1", "tput_n", "rr_small_p50", "rr_small_p99", "rr_1k_p50", "cpu"} <= keys
    assert "crr" not in keys and "rr_1k_p99" not in keys  # not measured


def test_headline_records_round_trip_through_json():
    v = verdict(_frame(), n_boot=200)
    rec = headline_records(json.loads(json.dumps({"verdict": v})))
    assert len(rec) == len(v["cells"])
    assert set(rec.locality) == {"cross-node"} and set(rec.path) == {"overlay"}
    r = rec[(rec.condition == "shaped") & (rec.headline == "tput_1")].iloc[0]
    assert r["metric"] == "throughput_bps" and r["relative"] < 0 and r["label"] == "throughput, 1 stream"
    assert headline_records(None).empty and list(headline_records({}).columns)[:2] == ["condition", "locality"]


def test_byte_model_share_and_sentences():
    v = explain_verdict(verdict(_frame(), n_boot=200))
    c = next(c for c in v["cells"] if c["headline"] == "tput_1")
    mss = ov.summarize(path="overlay", underlay_mtu_bytes=1500)["mss_bytes"] / ov.summarize(
        path="host", underlay_mtu_bytes=1500)["mss_bytes"]
    assert c["model"]["source"] == "byte model" and c["model"]["relative"] == pytest.approx(mss - 1, rel=1e-9)
    lat = next(c for c in v["cells"] if c["headline"] == "rr_small_p50")
    assert lat["model"]["source"] == "attribution" and lat["model"]["by"]
    assert lat["model"]["explained"] == pytest.approx(lat["model"]["diff"] / lat["diff"])
    s = verdict_sentences(v)
    assert 1 <= len(s) <= 6
    assert s[0].startswith("overlay against host:") and "% of it" in s[0]
    assert any(x.startswith("Not compared: bridge (same-node path") and "loopback" in x for x in s)
    html = verdict_html(v, s)
    assert html.count('class="cnm-g"') == len(v["groups"]) and "<script" not in html


def test_bundled_data_never_compares_across_locality_or_shaping():
    df, _ = load_dataset(DATA)
    v = explain_verdict(verdict(df, n_boot=200))
    groups = _groups_by_id(v)
    shaped = {str(c): bool(np.isfinite(r)) for c, r in df.groupby("condition").link_rate_bps.first().items()}
    for c in v["cells"]:
        g = groups[c["group"]]
        assert g["locality"] == "cross-node" and c["path"] != "bridge"
        assert ("shaped" in g["setting"] and "unshaped" not in g["setting"]) == shaped[g["condition"]]
    assert [x["what"] for x in v["not_comparable"]] == ["bridge"]
    for s in verdict_sentences(v):
        assert not re.search(r"bridge[^.]*against host", s), s
    f = summary.headline_figures(df, n_boot=200)
    assert f["overheads"] and not any(r["path"] == "bridge" for r in f["overheads"])
    assert not any("bridge" in s and "against host" in s for s in f["sentences"])


def test_details_cells_are_grouped_and_collapsed():
    nb = nbformat.v4.new_notebook()
    a = nbformat.v4.new_markdown_cell("intro text", metadata={"cnimodel": {"details": "More"}})
    b = nbformat.v4.new_code_cell("x", metadata={"cnimodel": {"details": "More"}})
    b.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": "second part"})]
    empty = nbformat.v4.new_code_cell("y = 1")
    top = nbformat.v4.new_markdown_cell("# Verdict first")
    nb.cells = [top, empty, a, b]
    merged = group_details(nbformat.from_dict(json.loads(json.dumps(nb))))
    assert len(merged.cells) == 2 and len(merged.cells[1].outputs) == 2
    html = to_html(nb)
    block = re.search(r"<details class=\"cnm-details\"><summary>More</summary>(.*?)</details>", html, re.S)
    assert block and "intro text" in block.group(1) and "second part" in block.group(1)
    assert html.index("Verdict first") < block.start()


def _doc(n=8):
    v = verdict(_frame(), n_boot=100)
    runs = []
    for i in range(n):
        ok = i != 3
        runs.append({"id": f"run-{i}<x>", "dataset": f"data/c{i}", "notebook_name": "comparison_report",
                     "parameters": {"seed": i}, "status": "ok" if ok else "failed",
                     "error": None if ok else "ValueError: boom\nmore", "html": f"run-{i}.html" if ok else None,
                     "notebook": f"run-{i}.ipynb", "wall_time_s": 3.0 + i,
                     "figures": {"verdict": v, "headline": ["a sentence that must not show"]} if ok else None})
    return summary_document(runs, "comparison_report")


def test_index_is_one_table_one_row_per_run():
    doc = _doc()
    html = render_index(doc)
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr>") == 8 and html.count("<table") == 1
    assert "a sentence that must not show" not in html and "run-0&lt;x&gt;" in html
    assert "overlay<br>throughput" in html and "cnm-worse" in html
    assert "<script>" in html and "src=" not in html and "http" not in html.split("<script>")[1]
    assert "ValueError: boom" in html


def test_model_sentence_drops_float_residue_terms():
    from cnimodel.summary.why import _model_text
    cell = {"metric": "cpu_per_byte_s",
            "model": {"source": "attribution", "relative": 0.5, "diff": 0.723e-9, "explained": 7.0,
                      "by": [("child", 0.723e-9), ("netfilter", -3.82e-29)]}}
    text = _model_text(cell)
    assert "child" in text and "netfilter" not in text and "e-" not in text
    cell["model"].update(relative=1e-17, diff=1e-41, by=[("bridge", 3.19e-41), ("veth", 1.2e-41)])
    text = _model_text(cell)
    assert "mostly" not in text and "e-" not in text


def test_rule_counts_per_side_reach_the_explanation():
    """Host rows carry 0 rules per netfilter step, routing rows their own count: the model's
    difference is the rules' cost on routing, not two equal costs that cancel."""
    from cnimodel import explain
    same = explain.compare(None, "routing", "host", "rr", netfilter_rules=1500.0)
    own = explain.compare(None, "routing", "host", "rr", netfilter_rules=1500.0,
                          against_scenario={"netfilter_rules": 0.0})
    assert "hop:netfilter" not in [t["term"] for t in same["terms"]]
    assert own["terms"][0]["term"] == "hop:netfilter"
    assert abs(sum(t["seconds"] for t in own["terms"]) - own["total_s"]) < 1e-15


def test_model_share_wording_reads_as_a_reader_expects():
    """The model's share of a measured change: a percentage up to twice the change, then a
    multiple ("1550 % of it" read as a typo), and the other direction said in words."""
    from cnimodel.summary.why import _share
    assert _share({"explained": 0.99}) == ", 99 % of it"
    assert _share({"explained": 1.47}) == ", 147 % of it"
    assert _share({"explained": 3.24}) == ", 3.2x the measured change"
    assert _share({"explained": 15.5}) == ", 16x the measured change"
    assert _share({"explained": -0.4}) == ", in the other direction"
    assert _share({"explained": 0.001}) == ", none of it"
    assert _share({}) == ""
