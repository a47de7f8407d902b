"""Builds the CONSTRUCTED fixtures (formats no installed tool prints) from the real
iperf3 3.12 fixtures beside them.  Run from the repository root:
    python tests/data/io/make_constructed.py
See tests/data/io/README.md for the source of each structure."""
import json
from pathlib import Path

D = Path(__file__).parent / "iperf3"


def dumps_dup(obj, indent=1):
    """JSON text where keys ending in _bidir_reverse are written under their base name
    (the duplicate-key form iperf3 3.7-3.10 printed for --bidir)."""
    pad = "\t" * indent
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            k2 = k[: -len("_bidir_reverse")] if k.endswith("_bidir_reverse") else k
            items.append(f"{pad}{json.dumps(k2)}:\t{dumps_dup(v, indent + 1)}")
        return "{\n" + ",\n".join(items) + "\n" + "\t" * (indent - 1) + "}"
    if isinstance(obj, list):
        return "[" + ", ".join(dumps_dup(v, indent + 1) for v in obj) + "]"
    return json.dumps(obj)


bidir = json.loads((D / "tcp-bidir-3.12.json").read_text())
bidir["start"]["version"] = "iperf 3.7"
(D / "constructed-tcp-bidir-3.7-dupkeys.json").write_text(dumps_dup(bidir) + "\n")

# --json-stream (3.17): one {"event", "data"} object per line
doc = json.loads((D / "tcp-3.12.json").read_text())
doc["start"]["version"] = "iperf 3.17"
lines = [json.dumps({"event": "start", "data": doc["start"]})]
lines += [json.dumps({"event": "interval", "data": iv}) for iv in doc["intervals"]]
lines.append(json.dumps({"event": "end", "data": doc["end"]}))
(D / "constructed-tcp-3.17-json-stream.json").write_text("\n".join(lines) + "\n")

# 3.16 printing the whole document twice
txt = (D / "tcp-3.12.json").read_text()
(D / "constructed-tcp-printed-twice.json").write_text(txt + txt)

# pre-3.11 UDP: only end.sum (sender rate) + streams[].udp, no sum_sent / sum_received
udp = json.loads((D / "udp-3.12.json").read_text())
udp["start"]["version"] = "iperf 3.9"
udp["end"].pop("sum_sent")
udp["end"].pop("sum_received")
(D / "constructed-udp-3.9-sum-only.json").write_text(json.dumps(udp, indent=1) + "\n")
