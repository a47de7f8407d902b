"""Regenerate ``golden.json.gz``: predict/fit outputs saved BEFORE the structure refactor (issue 11).

The file was written once with the code at commit 63f10e0 (before the engine moved); the test
``tests/test_model_golden.py`` compares today's outputs with it (1e-12 relative). Re-run only
when a deliberate model change is made, and say so in the commit:

    .venv/bin/python tests/data/model/make_golden.py
"""
import gzip
import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]


def grid():
    """A fixed scenario grid that exercises every branch of the evaluation."""
    rows = []
    for path, mtu, rate, test, proto, msg, streams, load, offload, loss, wire in itertools.product(
            ["host", "bridge", "overlay", "routing", "underlay"], [1500, 9000], [10e9, np.nan],
            ["stream", "rr", "crr"], ["tcp", "udp"], [np.nan, 1.0, 1024.0, 65536.0], [1, 4],
            [0.0, 0.5], [True, False], [0.0, 1e-4], ["nic", "veth"]):
        if proto == "udp" and test == "crr":
            continue
        rows.append(dict(path=path, underlay_mtu_bytes=mtu, link_rate_bps=rate, test=test,
                         protocol=proto, msg_size_bytes=msg, streams=streams, load=load,
                         offload=offload, loss_rate=loss, wire_kind=wire))
    # a fixed 1,000-row sample keeps the file small while touching every branch
    return pd.DataFrame(rows).sample(n=1000, random_state=11).reset_index(drop=True)


def main():
    from cnimodel import io as cio
    from cnimodel.calibrate import fit
    from cnimodel.params import ModelParams
    from cnimodel.predict import OUTPUT_COLUMNS, predict

    sc = grid()
    out = {"grid_rows": len(sc)}
    for name, params in (("defaults", ModelParams()),
                         ("pftk_mm1", ModelParams(loss_model="pftk", queue="mm1", cpu_cores=2,
                                                  tunnel_offload=False)),
                         ("mathis_mg1", ModelParams(loss_model="mathis", queue="mg1", service_cv2=0.5))):
        df = predict(params, sc)
        out[name] = {c: [None if (isinstance(v, float) and np.isnan(v)) else
                         (v if isinstance(v, (str, bool)) else float(v))
                         for v in df[c].astype(object if c == "bound" else float).tolist()]
                     for c in OUTPUT_COLUMNS + ("service_s",)}
    df, _ = cio.load_dataset(REPO / "data")
    res = fit(df, accounting="l2", shaper_burst_bytes=1048576)
    out["fit_data"] = {
        "params": json.loads(res.params.to_json()),
        "estimates": {r.parameter: [float(r.estimate), None if not np.isfinite(r.std_error)
                                    else float(r.std_error)] for r in res.estimates.itertuples()},
        "predicted": [float(v) for v in res.residuals["predicted"]],
        "session_offsets_s": {k: float(v) for k, v in res.session_offsets_s.items()},
    }
    with gzip.open(HERE / "golden.json.gz", "wt") as f:
        f.write(json.dumps(out, sort_keys=True) + "\n")
    print("wrote", HERE / "golden.json.gz", len(sc), "scenarios")


if __name__ == "__main__":
    main()
