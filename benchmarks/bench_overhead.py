"""Benchmark: the byte model over 1,000,000 scenarios.

Prints scenarios per second and, as the figure that survives noisy machines,
the ratio to one bare numpy elementwise pass over arrays of the same size
measured in the same run.  Run: ``.venv/bin/python benchmarks/bench_overhead.py``.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from cnimodel import overhead as ov

N = 1_000_000
REPEATS = 7


def best_of(fn, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times))


def main():
    rng = np.random.default_rng(0)
    mtu = rng.integers(1400, 9001, N)  # MTUs are whole bytes: an integer array
    rate = rng.choice([1e9, 10e9, 25e9, 40e9, 100e9], N)
    msg = rng.integers(1, 1_000_000, N).astype(float)
    encap = pd.Categorical(rng.choice(["none", "vxlan", "geneve", "ipip", "wireguard"], N))
    path = pd.Categorical(rng.choice(["host", "bridge", "overlay", "routing", "underlay"], N))

    ref_best, ref_med = best_of(lambda: mtu * rate)  # one bare elementwise numpy pass
    cases = {
        "bulk goodput, scalar encap": lambda: ov.summarize(encap="vxlan", underlay_mtu_bytes=mtu,
                                                           link_rate_bps=rate),
        "bulk goodput, categorical encap": lambda: ov.summarize(encap=encap, underlay_mtu_bytes=mtu,
                                                                link_rate_bps=rate),
        "messages, categorical path": lambda: ov.summarize(path=path, underlay_mtu_bytes=mtu,
                                                           link_rate_bps=rate, msg_size_bytes=msg),
    }
    print(f"scenarios: {N:,}; reference (one numpy multiply over {N:,} floats): "
          f"best {ref_best * 1e3:.2f} ms, median {ref_med * 1e3:.2f} ms")
    for name, fn in cases.items():
        best, med = best_of(fn)
        print(f"{name:34s} best {best * 1e3:7.1f} ms  median {med * 1e3:7.1f} ms  "
              f"{N / best / 1e6:6.1f} M scenarios/s  {best / ref_best:6.1f}x numpy pass")


if __name__ == "__main__":
    main()
