"""Score the base model alone and the base with the adapter on the held-out gadget reviews.

    python3 evaluate.py --base upstream/base/model/weights.safetensors \\
        --adapter adapter/adapter.safetensors --config config/lora.json \\
        --data data/gadgets.csv --out eval/metrics.json
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path

from train_lora import featurise, load_safetensors


def main() -> None:
    ap = argparse.ArgumentParser()
    for name in ("--base", "--adapter", "--config", "--data", "--out"):
        ap.add_argument(name, required=True)
    args = ap.parse_args()
    cfg = json.loads(Path(args.config).read_text(encoding="utf-8"))
    base = load_safetensors(Path(args.base))
    lora = load_safetensors(Path(args.adapter))
    w, b = base["weight"], base["bias"][0]
    buckets, r = len(w), cfg["rank"]
    scale = cfg["alpha"] / r
    a, b_up = lora["lora_A"], lora["lora_B"]
    delta = [scale * math.fsum(b_up[k] * a[k * buckets + j] for k in range(r))
             for j in range(buckets)]
    with Path(args.data).open(newline="", encoding="utf-8") as fh:
        rows = [(featurise(row["text"], buckets), row["label"] == "positive")
                for row in csv.DictReader(fh) if row["split"] == "test"]

    def accuracy(weights: list[float]) -> float:
        hits = sum((b + math.fsum(weights[j] for j in x) >= 0) == y for x, y in rows)
        return round(hits / len(rows), 4)

    adapted = [wj + dj for wj, dj in zip(w, delta, strict=True)]
    metrics = {"rows": len(rows), "accuracy_base": accuracy(w),
               "accuracy_adapted": accuracy(adapted)}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
