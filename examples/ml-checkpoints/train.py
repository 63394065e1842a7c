"""A tiny two-layer network trained with numpy, one checkpoint per epoch.

Full run:   python3 train.py --config config/train.json
   writes checkpoints/epoch-1.npy ... checkpoints/epoch-7.npy and model/weights.npy
One segment (what `rebuildable rebuild --sample` replays):
            python3 train.py --config config/train.json --resume checkpoints/epoch-3.npy \\
                --index 3 --out OUT.npy
   starts from the state after epoch 3 (nothing: the seeded initial state, for index 0)
   and writes the state after epoch index+1.

Every source of randomness is seeded by the epoch index, so a segment needs nothing but
the checkpoint it starts from: replaying epoch k costs one epoch, not k.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

DATA = "data/points.csv"
CONFIG = {"epochs": 8, "passes": 1, "hidden": 64, "batch": 32, "rate": 0.05, "seed": 20240601}


def initial(features: int) -> np.ndarray:
    hidden = CONFIG["hidden"]
    rng = np.random.default_rng(CONFIG["seed"])
    w1 = rng.normal(0.0, 1.0 / np.sqrt(features), (features + 1, hidden))
    w2 = rng.normal(0.0, 1.0 / np.sqrt(hidden), (hidden + 1, 1))
    return np.concatenate([w1.ravel(), w2.ravel()])


def unpack(w: np.ndarray, features: int) -> tuple[np.ndarray, np.ndarray]:
    hidden = CONFIG["hidden"]
    n1 = (features + 1) * hidden
    return w[:n1].reshape(features + 1, hidden), w[n1:].reshape(hidden + 1, 1)


def epoch(w: np.ndarray, index: int, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """One epoch (``passes`` sweeps over the data) of mini-batch gradient descent; the
    batch order depends only on the epoch's index."""
    w1, w2 = (a.copy() for a in unpack(w, x.shape[1]))
    batch, rate = CONFIG["batch"], CONFIG["rate"]
    rng = np.random.default_rng(1000 + index)
    orders = [rng.permutation(len(x)) for _ in range(CONFIG["passes"])]
    for b in (order[i:i + batch] for order in orders for i in range(0, len(x), batch)):
        xb = np.hstack([x[b], np.ones((len(b), 1))])
        h = np.tanh(xb @ w1)
        hb = np.hstack([h, np.ones((len(b), 1))])
        p = 1.0 / (1.0 + np.exp(-(hb @ w2)))
        g2 = (p - y[b, None]) / len(b)
        g1 = (g2 @ w2[:-1].T) * (1.0 - h * h)
        w2 -= rate * (hb.T @ g2)
        w1 -= rate * (xb.T @ g1)
    return np.concatenate([w1.ravel(), w2.ravel()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config/train.json")
    parser.add_argument("--resume", default="", help="checkpoint to start from (replay)")
    parser.add_argument("--index", type=int, default=0, help="segment index (replay)")
    parser.add_argument("--out", default="", help="where one replayed segment is written")
    args = parser.parse_args()
    CONFIG.update(json.loads(Path(args.config).read_text(encoding="utf-8")))
    data = np.loadtxt(DATA, delimiter=",", dtype=np.float64)
    x, y = data[:, :-1], data[:, -1]
    if args.out:
        w = np.load(args.resume, allow_pickle=False) if args.resume else initial(x.shape[1])
        np.save(args.out, epoch(w, args.index, x, y), allow_pickle=False)
        return
    w = initial(x.shape[1])
    for i in range(CONFIG["epochs"]):
        w = epoch(w, i, x, y)
        last = i == CONFIG["epochs"] - 1
        target = Path("model/weights.npy" if last else f"checkpoints/epoch-{i + 1}.npy")
        target.parent.mkdir(parents=True, exist_ok=True)
        np.save(target, w, allow_pickle=False)


if __name__ == "__main__":
    main()
