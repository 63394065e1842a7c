"""Comparing a rebuilt output with the published one under an equivalence policy.

Policies (``spec/rebuild.md``, [REB-10] to [REB-15]):

* ``exact`` (default): the same bytes;
* ``text``: the same lines once line endings, trailing whitespace on each line and
  blank lines at the end are normalised;
* ``numeric`` (``rtol``, ``atol``): ``.npy``, ``.npz`` and safetensors files hold the same
  tensors (names, dtypes, shapes) whose floating-point values satisfy
  ``|rebuilt - published| <= atol + rtol * |published|`` (numpy.isclose); integer and
  boolean tensors must be equal; needs numpy;
* ``image`` (``tolerance``, ``max-differing``, ``min-psnr``): same size, mode and frame
  count; a pixel differs when a channel differs by more than ``tolerance``; needs Pillow
  and numpy;
* ``archive`` (``members``): zip or tar archives with the same members (names, types,
  link targets, permissions); member contents compared by the ``members`` policy
  (default exact); timestamps, ownership, compression and member order are ignored.

Byte-identical files are always equivalent, whatever the policy, and need no optional
package. Nothing here raises for bad input: a file the comparator cannot read is a
difference, with the reason.

The package holds one module per policy; this face dispatches to them.
"""

from __future__ import annotations

from pathlib import Path

from rebuildable.rebuild.equivalence import archive
from rebuildable.rebuild.equivalence.archive import compare_archive
from rebuildable.rebuild.equivalence.comparison import (
    CHUNK,
    Budget,
    Comparator,
    Comparison,
    FormatError,
    Nested,
)
from rebuildable.rebuild.equivalence.exact import byte_difference, exact
from rebuildable.rebuild.equivalence.image import compare_image
from rebuildable.rebuild.equivalence.numeric import compare_numeric, read_safetensors, read_tensors
from rebuildable.rebuild.equivalence.policy import (
    NUMERIC_DEFAULTS,
    POLICIES,
    EquivalencePolicy,
    PolicyError,
    parse_policy,
)
from rebuildable.rebuild.equivalence.text import compare_text

_COMPARATORS: dict[str, Comparator] = {
    "exact": exact,
    "text": compare_text,
    "numeric": compare_numeric,
    "image": compare_image,
    "archive": compare_archive,
}


def compare(rebuilt: Path, published: Path, policy: EquivalencePolicy | None = None) -> Comparison:
    """Compare two files on disk under ``policy`` (default exact)."""
    nested = Nested(0, Budget(archive.MAX_EXTRACT_BYTES), _compare)
    policy = policy or EquivalencePolicy("exact")
    try:
        return _compare(rebuilt, published, policy, nested)
    except MemoryError:
        # the bounds above keep a hostile file from asking this much; a machine short
        # of memory for honest ones gets no verdict either way
        why = "there is not enough memory here to compare them"
        return Comparison(False, False, policy.name, why, unavailable=why)


def _compare(rebuilt: Path, published: Path, policy: EquivalencePolicy,
             nested: Nested) -> Comparison:
    diff = byte_difference(rebuilt, published)
    if diff is None:
        return Comparison(True, True, policy.name, "identical bytes")
    result = _COMPARATORS[policy.name](rebuilt, published, policy.params, nested)
    result.details.setdefault("bytes", diff)
    return result


__all__ = [
    "CHUNK",
    "NUMERIC_DEFAULTS",
    "POLICIES",
    "Comparison",
    "EquivalencePolicy",
    "FormatError",
    "PolicyError",
    "byte_difference",
    "compare",
    "parse_policy",
    "read_safetensors",
    "read_tensors",
]
