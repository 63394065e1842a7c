"""Train the tiny sentiment classifier: logistic regression on a bag of words and bigrams.

Run from the release root:

    python3 train.py --config config/train.json --data data/reviews.csv --out model

Writes ``model/weights.safetensors`` (tensors ``weight`` [vocab] and ``bias`` [1]) and
``model/vocab.json`` (the feature names, in the order of ``weight``).

Pure Python, standard library only, and deterministic: the data is read in file order,
the vocabulary is sorted, gradient descent is full-batch (no sampling, no seed), and
every sum is taken in a fixed order, so the same inputs give the same bytes on every
machine with IEEE-754 doubles.
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
from typing import Any

TOKEN = re.compile(r"[a-z']+")


def features(text: str, bigrams: bool) -> list[str]:
    words = TOKEN.findall(text.lower())
    out = list(words)
    if bigrams:
        out += [f"{a} {b}" for a, b in itertools.pairwise(words)]
    return out


def read_rows(path: Path, split: str) -> list[tuple[str, int]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [
            (row["text"], 1 if row["label"] == "positive" else 0)
            for row in csv.DictReader(fh)
            if row["split"] == split
        ]


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def train(
    rows: list[tuple[str, int]], config: dict[str, Any]
) -> tuple[list[str], list[float], float]:
    feat_cfg, opt = config["features"], config["optimizer"]
    counts: dict[str, int] = {}
    for text, _ in rows:
        for f in set(features(text, feat_cfg["bigrams"])):
            counts[f] = counts.get(f, 0) + 1
    vocab = sorted(f for f, c in counts.items() if c >= feat_cfg["min_count"])
    index = {f: i for i, f in enumerate(vocab)}
    examples = [
        (sorted({index[f] for f in features(text, feat_cfg["bigrams"]) if f in index}), y)
        for text, y in rows
    ]
    weight = [0.0] * len(vocab)
    bias = 0.0
    n = len(examples)
    lr, l2 = opt["learning_rate"], opt["l2"]
    for _ in range(opt["epochs"]):
        grad = [0.0] * len(vocab)
        grad_bias = 0.0
        for active, y in examples:
            error = sigmoid(bias + math.fsum(weight[j] for j in active)) - y
            for j in active:
                grad[j] += error
            grad_bias += error
        weight = [w - lr * (g / n + l2 * w) for w, g in zip(weight, grad, strict=True)]
        bias -= lr * grad_bias / n
    return vocab, weight, bias


def safetensors(tensors: dict[str, list[float]], dtype: str, metadata: dict[str, str]) -> bytes:
    """The safetensors encoding: u64 header length, JSON header, little-endian data."""
    code = {"F32": "f", "F64": "d"}[dtype]
    header: dict[str, object] = {"__metadata__": metadata}
    blobs: list[bytes] = []
    offset = 0
    for name in sorted(tensors):
        values = tensors[name]
        blob = struct.pack(f"<{len(values)}{code}", *values)
        header[name] = {
            "dtype": dtype,
            "shape": [len(values)],
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the format allows space padding to align the data
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    config = json.loads(args.config.read_text("utf-8"))
    rows = read_rows(args.data, "train")
    vocab, weight, bias = train(rows, config)
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {
        "model": "logistic-regression",
        "features": str(len(vocab)),
        "train_rows": str(len(rows)),
        "epochs": str(config["optimizer"]["epochs"]),
    }
    blob = safetensors({"weight": weight, "bias": [bias]}, config["dtype"], meta)
    (args.out / "weights.safetensors").write_bytes(blob)
    (args.out / "vocab.json").write_text(json.dumps(vocab, indent=0) + "\n", "utf-8")
    sys.stdout.write(f"trained on {len(rows)} rows, {len(vocab)} features\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
