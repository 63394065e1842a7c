"""Evaluate the trained classifier on the held-out rows of the dataset.

Run from the release root:

    python3 evaluate.py --model model --data data/reviews.csv --out eval/metrics.json

Reads ``model/weights.safetensors`` and ``model/vocab.json`` written by train.py and
writes accuracy, precision, recall and F1 on the ``test`` split as JSON. Standard
library only; the numbers are rounded to 6 decimals so the file is the same bytes
everywhere.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import re
import struct
import sys
from pathlib import Path

TOKEN = re.compile(r"[a-z']+")
DTYPES = {"F32": ("f", 4), "F64": ("d", 8)}


def features(text: str, bigrams: bool = True) -> list[str]:
    words = TOKEN.findall(text.lower())
    out = list(words)
    if bigrams:
        out += [f"{a} {b}" for a, b in itertools.pairwise(words)]
    return out


def read_safetensors(path: Path) -> dict[str, list[float]]:
    raw = path.read_bytes()
    (length,) = struct.unpack_from("<Q", raw)
    header = json.loads(raw[8 : 8 + length])
    data = raw[8 + length :]
    out: dict[str, list[float]] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        code, width = DTYPES[info["dtype"]]
        start, end = info["data_offsets"]
        out[name] = list(struct.unpack(f"<{(end - start) // width}{code}", data[start:end]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    tensors = read_safetensors(args.model / "weights.safetensors")
    vocab = json.loads((args.model / "vocab.json").read_text("utf-8"))
    index = {f: i for i, f in enumerate(vocab)}
    weight, bias = tensors["weight"], tensors["bias"][0]
    tp = fp = tn = fn = 0
    with args.data.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["split"] != "test":
                continue
            active = sorted({index[f] for f in features(row["text"]) if f in index})
            predicted = bias + math.fsum(weight[j] for j in active) > 0
            actual = row["label"] == "positive"
            tp += predicted and actual
            fp += predicted and not actual
            tn += not predicted and not actual
            fn += not predicted and actual
    total = tp + fp + tn + fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    metrics = {
        "split": "test",
        "rows": total,
        "accuracy": round((tp + tn) / total, 6) if total else 0.0,
        "precision": round(precision, 6),
        "recall": round(recall, 6),
        "f1": round(f1, 6),
        "confusion": {"tp": tp, "fp": fp, "tn": tn, "fn": fn},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", "utf-8")
    sys.stdout.write(f"accuracy {metrics['accuracy']} on {total} held-out rows\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
