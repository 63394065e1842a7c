"""Sampled replay (``spec/rebuild.md`` §9): which segments to replay, the command that
replays one, and what a sample of reproduced segments proves.

Pure functions: no I/O.
"""

from __future__ import annotations

import math
import random
import shlex
from dataclasses import dataclass
from fractions import Fraction

from rebuildable.model import Manifest, Step

#: the confidence of the bound a sampled verdict states
CONFIDENCE = 0.95


@dataclass(frozen=True, slots=True)
class Segment:
    step: Step
    index: int  # 0-based position in the step's checkpoints
    start: str | None  # the checkpoint it starts from (None for the first)
    end: str  # the checkpoint it must reproduce

    @property
    def label(self) -> str:
        return f"{self.step.id}[{self.index}]"


def segments(manifest: Manifest, ordered: list[Step]) -> list[Segment]:
    """Every replayable segment, steps in run order, segments in checkpoint order."""
    out: list[Segment] = []
    for step in ordered:
        if not step.checkpoints or step.replay is None:
            continue
        for i, end in enumerate(step.checkpoints):
            out.append(Segment(step, i, step.checkpoints[i - 1] if i else None, end))
    return out


def choose(total: int, wanted: int, seed: int) -> list[int]:
    """``wanted`` distinct positions of ``total``, uniformly at random from ``seed``
    (Python's Mersenne Twister via ``random.Random(seed).sample``: anyone can replay the
    choice), in increasing order."""
    return sorted(random.Random(seed).sample(range(total), min(wanted, total)))  # noqa: S311 - an auditable choice, not a secret


def fabricated_bound(total: int, sampled: int, confidence: float = CONFIDENCE) -> int:
    """The most segments of ``total`` that can be fabricated while a uniform sample of
    ``sampled`` of them, all reproduced, is still at least ``1 - confidence`` likely.

    With f fabricated segments, the chance that a sample without replacement misses
    all of them is C(total - f, sampled) / C(total, sampled); every f whose chance is
    below 1 - confidence is rejected at that confidence.
    """
    if sampled <= 0:
        return total
    bound = 0
    whole = math.comb(total, sampled)
    alpha = 1 - Fraction(str(confidence))  # exact: 1/20 is 1/20, not 0.0500...04
    for f in range(total + 1):
        if Fraction(math.comb(total - f, sampled), whole) >= alpha:
            bound = f
        else:
            break
    return bound


def replay_command(template: str, segment: Segment, start_path: str | None,
                   end_path: str) -> str:
    """The template with its placeholders filled in; paths are shell-quoted."""
    values = {"{from}": shlex.quote(start_path or ""), "{to}": shlex.quote(segment.end),
              "{out}": shlex.quote(end_path), "{index}": str(segment.index)}
    out = template
    for key, value in values.items():
        out = out.replace(key, value)
    return out
