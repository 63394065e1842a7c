"""Train the tiny base model: logistic regression on hashed bag-of-words features.

Run from this release's root:

    python3 train_base.py --config config/base.json --data data/reviews.csv --out model

Writes ``model/weights.safetensors`` with tensors ``weight`` [1, BUCKETS] and ``bias`` [1]
(float32). Standard library only and deterministic: full-batch gradient descent, sums in
a fixed order, features hashed with CRC-32.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import struct
import zlib
from pathlib import Path

TOKEN = re.compile(r"[a-z']+")


def featurise(text: str, buckets: int) -> list[int]:
    return sorted({zlib.crc32(w.encode()) % buckets for w in TOKEN.findall(text.lower())})


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def save_safetensors(path: Path, tensors: dict[str, tuple[list[int], list[float]]]) -> None:
    header: dict[str, object] = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        shape, values = tensors[name]
        blob = struct.pack(f"<{len(values)}f", *values)
        end = offset + len(blob)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, end]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    cfg = json.loads(Path(args.config).read_text(encoding="utf-8"))
    buckets = cfg["buckets"]
    with Path(args.data).open(newline="", encoding="utf-8") as fh:
        rows = [(featurise(r["text"], buckets), 1 if r["label"] == "positive" else 0)
                for r in csv.DictReader(fh)]
    w = [0.0] * buckets
    b = 0.0
    for _ in range(cfg["epochs"]):
        gw = [0.0] * buckets
        gb = 0.0
        for x, y in rows:
            err = sigmoid(b + math.fsum(w[j] for j in x)) - y
            for j in x:
                gw[j] += err
            gb += err
        n = len(rows)
        lr, l2 = cfg["learning_rate"], cfg["l2"]
        w = [wj - lr * (g / n + l2 * wj) for wj, g in zip(w, gw, strict=True)]
        b -= cfg["learning_rate"] * gb / n
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    save_safetensors(out / "weights.safetensors", {"weight": ([1, buckets], w), "bias": ([1], [b])})


if __name__ == "__main__":
    main()
