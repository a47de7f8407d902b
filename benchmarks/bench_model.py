"""Benchmark of the latency/throughput models (issue 5).

- ``predict`` over 1,000,000 mixed scenarios (5 paths x 2 MTUs x 3 link rates x 3 tests x
  4 message sizes x 1-8 streams x random load);
- ``fit`` on a 10,000-row synthetic tidy dataset (TCP_RR latency and TCP stream throughput
  of 5 paths at 2 MTUs, 1 % noise, a few outliers).

Both are printed in seconds and as a ratio to a reference measured in the same run on the
same machine: ``ref`` = one pass of 10 float64 numpy operations over 1,000,000 elements.
Targets (issue 5): predict < 1 s, fit < 5 s.

With ``--against DIR`` (another revision's source tree, e.g. ``git archive 63f10e0 | tar -x
-C /tmp/old``) it also times ``predict`` over the same scenarios with that tree's cnimodel and
with this one, alternately in fresh processes (``--rounds`` rounds, best of 5 CPU-time runs
each), and prints this / against (issue 12: within 1.2x of the time before the shared stages).

Run: ``.venv/bin/python benchmarks/bench_model.py [--against DIR [--rounds 4]]``
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path


def _use_tree(tree):
    """Import cnimodel from source tree ``tree`` instead of the installed (editable) one."""
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    sys.path.insert(0, str(Path(tree).resolve()))


if __name__ == "__main__" and "--tree" in sys.argv:   # before cnimodel is imported
    _use_tree(sys.argv[sys.argv.index("--tree") + 1])

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import cnimodel  # noqa: E402
from cnimodel.calibrate import fit  # noqa: E402
from cnimodel.params import ModelParams  # noqa: E402
from cnimodel.predict import predict  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

PATHS = np.array(["host", "bridge", "overlay", "routing", "underlay"])


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def reference():
    x = np.random.default_rng(0).random(1_000_000)

    def ten_ops():
        y = x * 1.5
        y = y + x
        y = y / (x + 1.0)
        y = np.sqrt(y)
        y = np.maximum(y, 0.5)
        y = y * x
        y = y - 0.25
        return y.sum()

    return best_of(ten_ops, 5)[0]


def scenarios(n=1_000_000, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "path": PATHS[rng.integers(0, 5, n)],
        "underlay_mtu_bytes": rng.choice([1500, 9000], n),
        "link_rate_bps": rng.choice([1e9, 10e9, 40e9], n),
        "test": np.array(["stream", "rr", "crr"])[rng.integers(0, 3, n)],
        "msg_size_bytes": rng.choice([1.0, 64.0, 1024.0, 16384.0], n),
        "streams": rng.integers(1, 9, n),
        "load": rng.uniform(0, 0.95, n),
    })


def dataset(n=10_000, seed=1):
    rng = np.random.default_rng(seed)
    truth = ModelParams(base_rtt_s=55e-6, latency_per_byte_s=1e-9, cpu_per_byte_s=0.3e-9)
    half = n // 2
    rr = pd.DataFrame({"path": PATHS[rng.integers(0, 5, half)], "test": "rr", "protocol": "tcp",
                       "msg_size_bytes": rng.choice([1.0, 64.0, 512.0, 1024.0, 4096.0, 16384.0], half),
                       "underlay_mtu_bytes": rng.choice([1500, 9000], half), "link_rate_bps": 2e9})
    st = pd.DataFrame({"path": PATHS[rng.integers(0, 5, n - half)], "test": "stream", "protocol": "tcp",
                       "underlay_mtu_bytes": rng.choice([1500, 9000], n - half),
                       "link_rate_bps": rng.choice([2e9, np.nan], n - half)})
    sc = pd.concat([rr, st], ignore_index=True)
    out = predict(truth, sc, accounting="l2")
    noise = np.exp(rng.normal(0, 0.01, n))
    noise[rng.choice(n, 10, replace=False)] *= 2.0          # a few outliers
    sc["latency_mean_s"] = out["latency_mean_s"] * noise
    sc["throughput_bps"] = out["throughput_bps"] * noise
    return sc


def predict_cpu_time(repeat=5):
    """Best of ``repeat`` CPU times [s] of ``predict`` over :func:`scenarios` (after a warm-up)."""
    sc = scenarios()
    predict(None, sc.iloc[:1000])
    best = np.inf
    for _ in range(repeat):
        t = time.process_time()
        predict(None, sc)
        best = min(best, time.process_time() - t)
    return best


def _time_in(tree):
    out = subprocess.run([sys.executable, __file__, "--time-predict", "--tree", str(tree)],
                         capture_output=True, text=True, check=True).stdout.split()
    return Path(out[0]), float(out[1])


def against(tree, rounds):
    """Alternate this tree and ``tree``, ``rounds`` times; print each and the ratios."""
    this, other = [], []
    for i in range(rounds):
        src_o, t_o = _time_in(tree)
        src_t, t_t = _time_in(REPO)
        other.append(t_o)
        this.append(t_t)
        print(f"round {i + 1}: against {t_o:.3f} s ({src_o.parent.parent}), this {t_t:.3f} s "
              f"({src_t.parent.parent}): {t_t / t_o:.2f}")
    print(f"predict 1,000,000 scenarios, best CPU time: this {min(this):.3f} s, against "
          f"{min(other):.3f} s: this / against = {min(this) / min(other):.2f} (target <= 1.2)")


def main():
    import scipy.optimize  # noqa: F401  -- import time (~1-3 s, once per process) is not fit time

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--against", help="another revision's source tree: predict timed alternately")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--tree", help=argparse.SUPPRESS)
    ap.add_argument("--time-predict", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.time_predict:
        print(cnimodel.__file__, predict_cpu_time())
        return
    if a.against:
        against(a.against, a.rounds)
        return
    ref = reference()
    sc = scenarios()
    t_pred, df = best_of(lambda: predict(None, sc), 3)
    assert len(df) == len(sc) and df["throughput_bps"].notna().any()
    data = dataset()
    t_fit, res = best_of(lambda: fit(data, accounting="l2"), 1)
    print(f"reference (10 numpy ops over 1e6 float64): {ref * 1e3:.2f} ms")
    print(f"predict 1,000,000 scenarios: {t_pred:.3f} s = {t_pred / ref:.0f} x ref   (target < 1 s)")
    print(f"fit 10,000 rows ({res.gof['n_free']} free parameters, loss {res.gof['loss']}, "
          f"{res.gof['nfev']} evaluations): {t_fit:.3f} s = {t_fit / ref:.0f} x ref   (target < 5 s)")
    print(f"fit quality: median |rel err| {100 * res.gof['median_abs_rel_error']:.2f} %")


if __name__ == "__main__":
    main()
