"""Turn the raw review crawl into a clean, deduplicated, labelled train/test split.

    python3 clean.py --config config/clean.json --raw raw/reviews-2025-06.jsonl --out derived

Steps, in order: strip HTML tags and entities, collapse whitespace, lower-case; drop
texts with fewer than ``min_words`` words; label by stars (>= ``positive_min_stars`` is
positive, <= ``negative_max_stars`` negative, the rest dropped); drop exact duplicates
of the normalised text (the first record wins, in file order); put a row in the test
split when CRC-32 of its text modulo 100 is below ``test_percent``. Writes
``derived/train.csv``, ``derived/test.csv`` and ``derived/stats.json``. Standard library
only; the output depends only on the input bytes.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import re
import zlib
from pathlib import Path

TAG = re.compile(r"<[^>]*>")
SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    return SPACE.sub(" ", html.unescape(TAG.sub(" ", text))).strip().lower()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    cfg = json.loads(Path(args.config).read_text(encoding="utf-8"))
    stats = {"read": 0, "too_short": 0, "unlabelled": 0, "duplicates": 0, "train": 0, "test": 0}
    seen: set[str] = set()
    splits: dict[str, list[dict[str, str]]] = {"train": [], "test": []}
    with Path(args.raw).open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            stats["read"] += 1
            text = normalise(rec["text"])
            if len(text.split()) < cfg["min_words"]:
                stats["too_short"] += 1
                continue
            if rec["stars"] >= cfg["positive_min_stars"]:
                label = "positive"
            elif rec["stars"] <= cfg["negative_max_stars"]:
                label = "negative"
            else:
                stats["unlabelled"] += 1
                continue
            if text in seen:
                stats["duplicates"] += 1
                continue
            seen.add(text)
            split = "test" if zlib.crc32(text.encode()) % 100 < cfg["test_percent"] else "train"
            splits[split].append({"id": rec["id"], "text": text, "label": label})
            stats[split] += 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for split, rows in splits.items():
        with (out / f"{split}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=["id", "text", "label"], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    (out / "stats.json").write_text(json.dumps(stats, indent=2, sort_keys=True) + "\n",
                                    encoding="utf-8")


if __name__ == "__main__":
    main()
