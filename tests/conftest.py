"""Shared test fixtures.

Lab and browser tests may skip on a developer machine without root / tools /
chromium, but never in CI: ``.ci/run`` sets CNIMODEL_REQUIRE_LAB=1 and
CNIMODEL_REQUIRE_BROWSER=1, and :func:`require` then fails instead of skipping.
"""
from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: Real benchmark outputs from public runs, read in place (never copied).
CORPUS = REPO.parent / "shared" / "corpus"
TEST_DATA = REPO / "tests" / "data"


def require(kind: str, ok: bool, reason: str) -> None:
    """Skip (or fail, when CNIMODEL_REQUIRE_<KIND>=1) unless ``ok``."""
    if ok:
        return
    if os.environ.get(f"CNIMODEL_REQUIRE_{kind.upper()}") == "1":
        pytest.fail(f"{kind} test cannot run but CNIMODEL_REQUIRE_{kind.upper()}=1: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def default_signals():
    """``preexec_fn`` for a child that a test interrupts: SIGINT and SIGTERM at their default
    dispositions, as for a command started from a terminal (a shell without job control starts
    background jobs, and so possibly the whole test run, with SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
