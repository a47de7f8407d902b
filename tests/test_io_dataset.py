"""read() detection over the whole corpus, load_dataset labels / skips / strict, the CLI."""
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cnimodel.cli import main
from cnimodel.errors import DataFormatError
from cnimodel.io import COLUMN_NAMES, load_dataset, read
from cnimodel.io.dataset import is_ignored
from conftest import TEST_DATA

D = TEST_DATA / "io"


def test_every_corpus_file_read_or_rejected_precisely(corpus):
    read_ok, rejected = 0, 0
    for root, _, files in os.walk(corpus):
        for f in files:
            if is_ignored(f):
                continue
            p = Path(root) / f
            try:
                df = read(p)
            except DataFormatError as exc:
                rejected += 1
                assert exc.source == str(p) and exc.location and exc.expected
                assert p.suffix == ".tsv", f"unexpected rejection: {exc}"
                continue
            read_ok += 1
            assert len(df) >= 1 and list(df.columns) == list(COLUMN_NAMES)
            assert df.source_file.eq(str(p)).all()
    assert read_ok == 137 and rejected == 12


def test_detection_ignores_file_names(tmp_path):
    src = D / "netperf" / "omni-tcp_rr-k.txt"
    odd = tmp_path / "results.json"  # misleading suffix
    odd.write_bytes(src.read_bytes())
    assert read(odd).format[0] == "netperf-omni-keyval"
    with pytest.raises(DataFormatError, match="iperf3, iperf2, netperf, k8s-netperf, knb, flent"):
        read(b"some notes about the run\n")


def _mixed(tmp_path):
    ds = tmp_path / "ds"
    for sub in ("bridge", "overlay", "host"):
        (ds / sub).mkdir(parents=True)
    shutil.copy(D / "iperf3" / "tcp-3.12.json", ds / "bridge" / "iperf3-tcp-p1-r1.json")
    shutil.copy(D / "iperf3" / "udp-3.12.json", ds / "overlay" / "iperf3-udp.json")
    shutil.copy(D / "netperf" / "omni-tcp_rr-k.txt", ds / "overlay" / "netperf-rr.txt")
    shutil.copy(D / "iperf3" / "error-refused-3.12.json", ds / "host" / "failed.json")
    (ds / "host" / "truncated.json").write_bytes((D / "iperf3" / "tcp-3.12.json").read_bytes()[:500])
    (ds / "host" / "random.dat").write_bytes(b"\x00\x01binary")
    (ds / "host" / "run.cmd").write_text("iperf3 -c x")
    (ds / "NOTES.md").write_text("notes")
    (ds / "manifest.json").write_text("{}")
    return ds


def test_load_dataset_mixed(tmp_path):
    ds = _mixed(tmp_path)
    df, report = load_dataset(ds)
    assert sorted(df.path) == ["bridge", "overlay", "overlay"]
    assert report.files_read == 3 and report.rows == 3
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(reasons) == {"failed.json", "truncated.json", "random.dat"}
    assert "connection refused" in reasons["failed.json"]  # described, never quoted
    assert "line" in reasons["truncated.json"]
    assert "formats tried" in reasons["random.dat"]
    assert {Path(p).name for p in report.ignored} == {"run.cmd", "NOTES.md", "manifest.json"}
    assert "skipped" in str(report) and len(report.to_frame()) == 3
    with pytest.raises(DataFormatError):
        load_dataset(ds, strict=True)


def test_dataset_yaml_labels_nested(tmp_path):
    ds = _mixed(tmp_path)
    for p in ("host/failed.json", "host/truncated.json", "host/random.dat"):
        (ds / p).unlink()
    (ds / "dataset.yaml").write_text(
        "labels: {condition: mtu1500-2g, underlay_mtu_bytes: 1500, link_rate_bps: 2.0e9}\n"
        "files:\n"
        "  - glob: 'bridge/iperf3-tcp-p1-r1.json'\n    labels: {repetition: 1}\n"
        "  - glob: 'overlay/*'\n    labels: {encap: vxlan, cni: cilium, my_label: x}\n"
        "ignore: ['*.txt']\n")
    inner = ds / "sub"
    (inner / "routing").mkdir(parents=True)
    shutil.copy(D / "iperf3" / "tcp-3.12.json", inner / "routing" / "a.json")
    (inner / "dataset.yaml").write_text("labels: {condition: inner}\n")
    df, report = load_dataset(ds)
    by = {r.source_file.split("/")[-1]: r for r in df.itertuples()}
    assert by["iperf3-tcp-p1-r1.json"].repetition == 1 and by["iperf3-tcp-p1-r1.json"].condition == "mtu1500-2g"
    assert by["iperf3-udp.json"].cni == "cilium" and by["iperf3-udp.json"].path == "overlay"
    assert by["a.json"].path == "routing" and by["a.json"].condition == "inner"
    assert by["a.json"].underlay_mtu_bytes == 1500  # outer labels apply to the subtree
    assert "netperf-rr.txt" not in by  # ignored by the yaml glob
    n = len(COLUMN_NAMES)
    assert list(df.columns[:n]) == list(COLUMN_NAMES)
    assert list(df.columns[n:]) == ["condition", "underlay_mtu_bytes", "link_rate_bps", "encap", "cni",
                                    "repetition", "my_label"]


def test_bad_dataset_yaml_raises(tmp_path):
    (tmp_path / "dataset.yaml").write_text("labels: [1, 2]\n")
    with pytest.raises(DataFormatError, match="labels"):
        load_dataset(tmp_path)


def test_intervals_option(tmp_path):
    ds = _mixed(tmp_path)
    df, iv, report = load_dataset(ds, intervals=True)
    assert set(iv.source_file) == set(df[df.tool == "iperf3"].source_file)


def test_cli_read(tmp_path, capsys):
    ds = _mixed(tmp_path)
    out = tmp_path / "rows.csv"
    assert main(["read", str(ds), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "failed.json" in err and "random.dat" in err
    assert len(pd.read_csv(out)) == 3
    assert main(["read", str(D / "netperf" / "tcp_rr.txt")]) == 0
    assert "netperf-classic" in capsys.readouterr().out
    pq = tmp_path / "rows.parquet"
    assert main(["read", str(D / "iperf3" / "tcp-3.12.json"), "--out", str(pq)]) == 0
    assert pd.read_parquet(pq).throughput_bps[0] > 0
    assert main(["read", str(ds), "--strict"]) == 2


def test_bundled_lab_dataset_if_present(repo):
    """The lab's bundled data/ (written by cnimodel.lab) loads without a skipped file."""
    data = repo / "data"
    if not (data / "dataset.yaml").exists() and not any(data.glob("*/dataset.yaml")):
        pytest.skip("no bundled dataset in this tree")
    df, report = load_dataset(data)
    assert not report.skipped, str(report)
    assert set(df.path) <= {"host", "bridge", "overlay", "routing", "underlay"}
    stream = df[(df.tool == "netperf") & (df.test == "stream")]
    assert stream.transactions_per_s.isna().all() and stream.latency_mean_s.isna().all()


def test_external_config_for_read_only_datasets(corpus, tmp_path):
    """A dataset.yaml kept outside a read-only dataset applies at its root."""
    root = corpus / "iperf3-3.16-infrabuilder-2024"
    cfg = tmp_path / "labels.yaml"
    cfg.write_text("labels: {link_rate_bps: 4.0e+10}\n"
                   "files:\n"
                   "  - {glob: 'cilium/*/d*', labels: {path: overlay, cni: cilium}}\n"
                   "  - {glob: 'baremetal/*/d*', labels: {path: host, cni: baremetal}}\n"
                   "ignore: ['*/*/s*']\n")
    df, report = load_dataset(root, config=cfg)
    assert not report.skipped
    assert (df.link_rate_bps == 40e9).all()
    assert set(df.loc[df.cni.notna(), "path"]) == {"overlay", "host"}
    assert not df.source_file.str.contains("/s[tu][sm]-client").any()
    assert df.source_file.str.startswith(str(root)).all()
    # the same mapping, given as a dict, gives the same frame
    import yaml

    df2, _ = load_dataset(root, config=yaml.safe_load(cfg.read_text()))
    pd.testing.assert_frame_equal(df, df2)
    with pytest.raises(DataFormatError):
        load_dataset(root, config={"labels": [1, 2]})


def test_read_file_is_open_read(tmp_path):
    """The os-level file read gives the bytes and the errors of ``open(path, "rb").read()``."""
    import gzip

    from cnimodel.io._common import read_file

    big = bytes(range(256)) * 1000  # several read chunks
    (tmp_path / "big.bin").write_bytes(big)
    assert read_file(str(tmp_path / "big.bin"), "x") == big
    (tmp_path / "empty").write_bytes(b"")
    assert read_file(tmp_path / "empty", "x") == b""
    (tmp_path / "z.gz").write_bytes(gzip.compress(big))
    assert read_file(str(tmp_path / "z.gz"), "x") == big
    missing = str(tmp_path / "missing.json")
    with pytest.raises(FileNotFoundError) as ours:
        read_file(missing, missing)
    with pytest.raises(FileNotFoundError) as theirs:
        open(missing, "rb")
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(DataFormatError, match="a regular file"):
        read_file(str(tmp_path), str(tmp_path))


def test_load_dataset_labels_per_file_and_mixed_formats(tmp_path):
    """files: globs (labels shared by the files matching the same entries), files of several
    formats interleaved in one directory, files giving no row: every row has its own labels."""
    ds = tmp_path / "ds"
    (ds / "overlay").mkdir(parents=True)
    tcp = (D / "iperf3" / "tcp-3.12.json").read_bytes()
    rr = (D / "netperf" / "omni-tcp_rr-k.txt").read_bytes()
    for i in range(6):
        tag = "lo" if i < 3 else "hi"
        (ds / "overlay" / f"{tag}{i}-iperf3.json").write_bytes(tcp)
        (ds / "overlay" / f"{tag}{i}-netperf.txt").write_bytes(rr)
    (ds / "dataset.yaml").write_text(
        "labels: {condition: c}\n"
        "files:\n"
        "  - {glob: 'overlay/lo*', labels: {repetition: 1}}\n"
        "  - {glob: 'overlay/*netperf*', labels: {cni: np, protocol: sctp}}\n")
    df, report = load_dataset(ds)
    assert report.files_read == 12 and len(df) == 12
    for r in df.itertuples():
        name = Path(r.source_file).name
        assert r.condition == "c" and r.path == "overlay"
        assert r.repetition == 1 if name.startswith("lo") else pd.isna(r.repetition), name
        assert (r.cni == "np") if "netperf" in name else pd.isna(r.cni)
        assert r.protocol == ("sctp" if "netperf" in name else "tcp")
    # the same frame as reading every file alone and adding its labels
    from cnimodel.io.schema import frame_from_rows

    rows = []
    for p in sorted((ds / "overlay").iterdir()):
        for row in read(p).to_dict("records"):
            row = {k: v for k, v in row.items() if not (v is None or v is pd.NA or v != v)}
            if "timestamp" in row:
                row["timestamp"] = row["timestamp"].timestamp()
            row.update(path="overlay", condition="c")
            if p.name.startswith("lo"):
                row["repetition"] = 1
            if "netperf" in p.name:
                row.update(cni="np", protocol="sctp")
            rows.append(row)
    expect = frame_from_rows(rows, extra_order=("condition", "underlay_mtu_bytes", "link_rate_bps",
                                                "encap", "cni", "repetition"))
    pd.testing.assert_frame_equal(df, expect)
