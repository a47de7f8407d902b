"""The quality checks the readers share (issue 14 point 6, issue 16 point 3): quirks and
impossible values become findings with their reason, never rows."""
import json

import numpy as np
import pytest

from cnimodel.errors import DataFormatError
from cnimodel.io import load_dataset, read
from cnimodel.io.schema import check_frame, frame_from_rows
from conftest import TEST_DATA

N10K = TEST_DATA / "io" / "iperf3-text" / "tcp-n10K-client.json"


def _zero_receiver_bytes():
    """The real 3.12 ``-n 10K`` file with its receiver summary as iperf 3.9 prints it (0 bytes,
    0 bit/s, no error): the edit is in memory, the file on disk is the tool's own."""
    doc = json.loads(N10K.read_bytes())
    doc["end"]["sum_received"]["bytes"] = 0
    doc["end"]["sum_received"]["bits_per_second"] = 0
    return json.dumps(doc, indent="\t").encode()


def test_real_fixed_size_run_reads():
    df = read(N10K)
    assert df.throughput_bps.iloc[0] == pytest.approx(5295838383.838385)


def test_zero_receiver_is_an_error_with_reason_not_zero_throughput():
    with pytest.raises(DataFormatError) as exc:
        read(_zero_receiver_bytes())
    msg = str(exc.value)
    assert "end.sum_received.bytes" in msg and "131072 bytes sent" in msg and "not read" in msg


def test_zero_receiver_in_a_dataset_is_skipped_with_reason(tmp_path):
    (tmp_path / "host").mkdir()
    (tmp_path / "host" / "n10k.json").write_bytes(_zero_receiver_bytes())
    (tmp_path / "host" / "ok.json").write_bytes(N10K.read_bytes())
    df, report = load_dataset(tmp_path)
    assert len(df) == 1 and (df.throughput_bps > 0).all()
    assert [s.path.endswith("n10k.json") for s in report.skipped] == [True]
    assert "0 bytes received" in report.skipped[0].reason


@pytest.mark.parametrize("column,value", [("throughput_bps", -1.0), ("latency_mean_s", np.inf),
                                          ("retransmits", -3.0), ("lost_fraction", 1.5),
                                          ("transactions_per_s", 0.0), ("rtt_min_s", -np.inf)])
def test_impossible_values_become_findings(column, value):
    df = frame_from_rows([{"source_file": "a", "record": 0, "throughput_bps": 1e9},
                          {"source_file": "b", "record": 0, column: value}])
    kept, found = check_frame(df)
    assert kept.source_file.tolist() == ["a"]
    assert [f.path for f in found] == ["b"] and column in found[0].reason


def test_nan_is_missing_and_total_loss_is_a_measurement():
    df = frame_from_rows([{"source_file": "a", "throughput_bps": np.nan},
                          {"source_file": "b", "throughput_bps": 0.0, "lost_fraction": 1.0}])
    kept, found = check_frame(df)
    assert len(kept) == 2 and found == []


def test_duplicate_row_keys_are_reported_and_not_kept():
    rows = [{"source_file": "a", "record": 0, "direction": "send", "throughput_bps": 1e9},
            {"source_file": "a", "record": 0, "direction": "send", "throughput_bps": 2e9},
            {"source_file": "a", "record": 0, "direction": "receive", "throughput_bps": 3e9}]
    kept, found = check_frame(frame_from_rows(rows))
    assert kept.direction.tolist() == ["receive"]
    assert len(found) == 2 and all("duplicate row key" in f.reason for f in found)


def test_dataset_report_lists_findings(tmp_path):
    (tmp_path / "host").mkdir()
    (tmp_path / "host" / "rr.txt").write_text("THROUGHPUT=20000\nTHROUGHPUT_UNITS=Trans/s\n")
    (tmp_path / "host" / "neg.txt").write_text("THROUGHPUT=-5\nTHROUGHPUT_UNITS=Trans/s\n")
    df, report = load_dataset(tmp_path)
    assert df.transactions_per_s.tolist() == [20000.0]
    assert report.files_read == 2 and report.rows == 1
    assert [f.path.endswith("neg.txt") for f in report.findings] == [True]
    assert "not kept" in str(report)
