"""Train a rank-r LoRA adapter for the base model on gadget reviews; the base stays frozen.

Run from the release root (the base release is shipped under ``upstream/base``):

    python3 train_lora.py --base upstream/base/model/weights.safetensors \\
        --config config/lora.json --data data/gadgets.csv --out adapter

The base is a logistic regression ``z = W x + b`` over hashed bag-of-words features
(``W`` is [1, BUCKETS]). The adapter learns ``B`` [1, r] and ``A`` [r, BUCKETS] so that the
adapted model computes ``z = (W + (alpha / r) B A) x + b``. ``A`` starts from a fixed
pseudo-random sequence and ``B`` from zeros (the usual LoRA start: the adapted model
equals the base at step 0). Writes ``adapter/adapter.safetensors`` with tensors
``lora_A`` and ``lora_B`` (float32). Standard library only and deterministic.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

TOKEN = re.compile(r"[a-z']+")


def featurise(text: str, buckets: int) -> list[int]:
    return sorted({zlib.crc32(w.encode()) % buckets for w in TOKEN.findall(text.lower())})


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def load_safetensors(path: Path) -> dict[str, list[float]]:
    data = path.read_bytes()
    (n,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8:8 + n])
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        blob = data[8 + n + start:8 + n + end]
        out[name] = list(struct.unpack(f"<{len(blob) // 4}f", blob))
    return out


def save_safetensors(path: Path, tensors: dict[str, tuple[list[int], list[float]]],
                     metadata: dict[str, str]) -> None:
    header: dict[str, object] = {"__metadata__": metadata}
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


def lcg(seed: int) -> Iterator[float]:
    """A tiny, portable pseudo-random stream (the same numbers on every machine)."""
    state = seed
    while True:
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        yield ((state >> 11) / 2**53 - 0.5) * 0.02


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    cfg = json.loads(Path(args.config).read_text(encoding="utf-8"))
    base = load_safetensors(Path(args.base))
    w, b = base["weight"], base["bias"][0]
    buckets, r = len(w), cfg["rank"]
    scale = cfg["alpha"] / r
    with Path(args.data).open(newline="", encoding="utf-8") as fh:
        rows = [(featurise(row["text"], buckets), 1 if row["label"] == "positive" else 0)
                for row in csv.DictReader(fh) if row["split"] == "train"]
    rand = lcg(cfg["seed"])
    a = [[next(rand) for _ in range(buckets)] for _ in range(r)]
    bb = [0.0] * r
    lr = cfg["learning_rate"]
    for _ in range(cfg["epochs"]):
        ga = [[0.0] * buckets for _ in range(r)]
        gb = [0.0] * r
        for x, y in rows:
            ax = [math.fsum(a[k][j] for j in x) for k in range(r)]
            lora = scale * math.fsum(bb[k] * ax[k] for k in range(r))
            z = b + math.fsum(w[j] for j in x) + lora
            err = sigmoid(z) - y
            for k in range(r):
                gb[k] += err * scale * ax[k]
                for j in x:
                    ga[k][j] += err * scale * bb[k]
        n = len(rows)
        bb = [bb[k] - lr * gb[k] / n for k in range(r)]
        a = [[a[k][j] - lr * ga[k][j] / n for j in range(buckets)] for k in range(r)]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    save_safetensors(out / "adapter.safetensors", {
        "lora_A": ([r, buckets], [v for row in a for v in row]),
        "lora_B": ([1, r], bb),
    }, {"format": "lora", "base_model": "tiny-base-sentiment 1.0.0", "target": "weight",
        "rank": str(r), "alpha": str(cfg["alpha"])})


if __name__ == "__main__":
    main()
