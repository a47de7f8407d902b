"""Hostile files (issue 16): special files, links, bombs and odd names give skips with a reason,
never a hang, a traceback, unbounded memory or the content of a file outside the dataset."""
from __future__ import annotations

import gzip
import os
import subprocess
import sys
import textwrap

import pytest

from cnimodel.errors import DataFormatError
from cnimodel.io import load_dataset, read
from cnimodel.io.access import gunzip_capped, read_guarded
from cnimodel.io.safeyaml import loads_yaml

NETPERF = b"THROUGHPUT=20000\nTHROUGHPUT_UNITS=Trans/s\n"
SECRET = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA-secret-token\n"


def _run_limited(code: str, mem_bytes: int = 1 << 30, timeout_s: float = 300):
    """Run ``code`` in a child with an address-space limit; return the CompletedProcess."""
    prog = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, ({mem_bytes}, {mem_bytes}))
    """) + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True,
                          timeout=timeout_s)


def _ds(tmp_path):
    d = tmp_path / "DS"
    (d / "host").mkdir(parents=True)
    (d / "host" / "ok.txt").write_bytes(NETPERF)
    return d


def test_fifo_is_skipped_not_opened_blocking(tmp_path):
    d = _ds(tmp_path)
    os.mkfifo(d / "host" / "p.json")
    code = f"""
        from cnimodel.io import load_dataset
        df, r = load_dataset({str(d)!r})
        print(len(df), [s.reason for s in r.skipped])
    """
    out = _run_limited(code, timeout_s=300)  # a blocking open would hang until the timeout
    assert out.returncode == 0, out.stderr
    assert "1 [" in out.stdout and "named pipe" in out.stdout


def test_dev_zero_symlink_bounded_memory(tmp_path):
    d = _ds(tmp_path)
    os.symlink("/dev/zero", d / "host" / "zero.json")
    code = f"""
        from cnimodel.io import load_dataset, read
        df, r = load_dataset({str(d)!r}, follow_symlinks=True)
        print([s.reason for s in r.skipped])
        try:
            read({str(d / 'host' / 'zero.json')!r})
        except Exception as exc:
            print(type(exc).__name__, exc)
    """
    out = _run_limited(code, mem_bytes=1 << 30)
    assert out.returncode == 0, out.stderr
    assert "character device" in out.stdout and "DataFormatError" in out.stdout


def test_gzip_bomb_refused_under_memory_limit(tmp_path):
    d = _ds(tmp_path)
    comp = gzip.compress(b"{" + b" " * (600 << 20), compresslevel=9)  # ~600 KB -> 600 MiB
    (d / "host" / "bomb.json.gz").write_bytes(comp)
    code = f"""
        from cnimodel.io import load_dataset
        df, r = load_dataset({str(d)!r}, max_decompressed_bytes=64 << 20)
        print(len(df), [s.reason for s in r.skipped])
    """
    out = _run_limited(code, mem_bytes=1 << 30)
    assert out.returncode == 0, out.stderr
    assert "max_decompressed_bytes" in out.stdout and out.stdout.startswith("1 ")


def test_gunzip_cap_and_members():
    assert gunzip_capped(gzip.compress(b"ab") + gzip.compress(b"cd"), "x") == b"abcd"
    with pytest.raises(DataFormatError, match="max_decompressed_bytes"):
        gunzip_capped(gzip.compress(b"a" * 1000), "x", cap=999)
    with pytest.raises(DataFormatError, match="complete gzip"):
        gunzip_capped(gzip.compress(b"a" * 1000)[:-12], "x")


def test_size_cap(tmp_path):
    f = tmp_path / "big.txt"
    f.write_bytes(NETPERF + b"#" * 5000)
    from cnimodel.io.access import Limits

    with pytest.raises(DataFormatError, match="max_bytes"):
        read_guarded(f, "big.txt", Limits(max_bytes=1000))
    df, r = load_dataset(_ds(tmp_path), max_bytes=10)
    assert len(df) == 0 and "max_bytes" in r.skipped[0].reason


def test_yaml_alias_bomb_fails_fast(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi"))
    assert len(bomb) < 1100
    d = _ds(tmp_path)
    (d / "dataset.yaml").write_text("labels:\n  " + bomb.replace("\n", "\n  "))
    code = f"""
        from cnimodel.io import load_dataset
        try:
            load_dataset({str(d)!r})
        except Exception as exc:
            print(type(exc).__name__, exc)
    """
    out = _run_limited(code, timeout_s=300)
    assert out.returncode == 0, out.stderr
    line = out.stdout.strip()
    assert line.startswith("DataFormatError") and "dataset.yaml: at line 2" in line
    assert "\n" not in line and "are not allowed" in line
    with pytest.raises(DataFormatError, match="aliases|anchors"):
        loads_yaml(bomb, "b.yaml")


def test_non_utf8_names_are_read_and_shown_escaped(tmp_path):
    d = _ds(tmp_path)
    raw = os.fsencode(d / "host")
    os.mkdir(raw + b"/sub\xe9")
    with open(raw + b"/sub\xe9/r\xff.txt", "wb") as fh:
        fh.write(NETPERF)
    with open(raw + b"/bad\xfe.json", "wb") as fh:
        fh.write(b"{broken")
    df, r = load_dataset(d)
    assert len(df) == 2
    assert any(s.endswith("sub\\xe9/r\\xff.txt") for s in df["source_file"])
    assert [s.path.rsplit("/", 1)[-1] for s in r.skipped] == ["bad\\xfe.json"]
    str(r).encode("utf-8")  # printable
    r.to_frame()


def test_unreadable_subdir_skipped_like_a_file(tmp_path, monkeypatch):
    d = _ds(tmp_path)
    locked = d / "bridge"
    locked.mkdir()
    (locked / "x.txt").write_bytes(NETPERF)
    if os.geteuid() == 0:  # root reads mode-000 directories: refuse it the way the kernel would
        import cnimodel.io.dataset as ds

        real = os.scandir

        def scandir(p):
            if os.fspath(p) == str(locked):
                raise PermissionError(13, "Permission denied", str(p))
            return real(p)

        monkeypatch.setattr(ds.os, "scandir", scandir)
    else:
        locked.chmod(0)
    try:
        df, r = load_dataset(d)
    finally:
        locked.chmod(0o755)
    assert len(df) == 1
    assert [(s.path, s.reason) for s in r.skipped] == [
        (str(locked), "cannot read directory: Permission denied")]
    with pytest.raises(DataFormatError, match="readable directory"):
        load_dataset(d, strict=True)


def test_symlink_outside_never_read_or_quoted(tmp_path):
    d = _ds(tmp_path)
    key = tmp_path / "id_ed25519"
    key.write_bytes(SECRET)
    os.symlink(key, d / "host" / "key.json")
    os.symlink(d / "host" / "ok.txt", d / "host" / "inside.txt")  # inside: read
    os.symlink(tmp_path, d / "host" / "loop")  # a directory link: not walked
    df, r = load_dataset(d)
    assert len(df) == 2
    reasons = " ".join(s.reason for s in r.skipped)
    assert "outside" in reasons and "directories are not walked" in reasons
    assert b"secret" not in reasons.encode() and "BEGIN" not in reasons
    # followed on request, the unknown content is described, never quoted
    df, r = load_dataset(d, follow_symlinks=True)
    reasons = " ".join(s.reason for s in r.skipped)
    assert "bytes of text" in reasons and "secret" not in reasons and "BEGIN" not in reasons
    with pytest.raises(DataFormatError) as exc:
        read(key)
    assert "secret" not in str(exc.value) and "BEGIN" not in str(exc.value)


def test_dataset_yaml_symlink_outside_refused(tmp_path):
    d = _ds(tmp_path)
    outside = tmp_path / "other.yaml"
    outside.write_text("labels: {condition: x}\n")
    os.symlink(outside, d / "dataset.yaml")
    with pytest.raises(DataFormatError, match="outside"):
        load_dataset(d)
    assert load_dataset(d, follow_symlinks=True)[0]["condition"].tolist() == ["x"]
