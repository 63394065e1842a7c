"""Random small releases on disk for property tests of the report (hypothesis).

:func:`releases` draws a release's shape (files, kinds, steps with dangling, upstream and
external inputs, missing files, profile, licence) and :func:`build` writes it. The extra
knobs (``strict``, ``many_alike`` infos that fold, a signature, good or tampered) are
drawn by :func:`report_cases` for tests that look at the whole report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.support.releases import make_release, read_manifest, write_manifest

__all__ = ["build", "releases", "report_cases"]

SHA = "a" * 64
PROFILES = ["generic", "ml-model", "software", "dataset"]
KINDS = ["training-code", "source-code", "dataset", "config", "weights", "binary", "other"]


@st.composite
def releases(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 5))
    files = {f"f{i}.txt": b"x" * i for i in range(n)}
    kinds = {f"f{i}.txt": draw(st.sampled_from(KINDS)) for i in range(n)}
    ids = [f"f{i}.txt" for i in range(n)]
    externals = [{"id": f"e{i}", "uri": f"https://example.org/e{i}", "kind": "dataset",
                  "digest": draw(st.sampled_from([{"sha256": SHA}, {"md5": "b" * 32}]))}
                 for i in range(draw(st.integers(0, 2)))]
    refs = ids + [e["id"] for e in externals] + ["ghost", "up:thing"]
    steps = []
    outputs_left = list(ids)
    for s in range(draw(st.integers(0, 3))):
        if not outputs_left:
            break
        out = outputs_left.pop(draw(st.integers(0, len(outputs_left) - 1)))
        inputs = draw(st.lists(st.sampled_from(refs), max_size=4, unique=True))
        steps.append({"id": f"s{s}", "run": "true", "inputs": [r for r in inputs if r != out],
                      "outputs": [out]})
    return {"files": files, "kinds": kinds, "externals": externals, "steps": steps,
            "missing": draw(st.sets(st.sampled_from(ids), max_size=2)),
            "profile": draw(st.sampled_from(PROFILES)),
            "license": draw(st.sampled_from(["MIT", "NotARealLicence", "CC-BY-NC-4.0"]))}


@st.composite
def report_cases(draw: st.DrawFn) -> dict[str, Any]:
    """A release and how it is validated: strict or not, with 25 alike externals (their
    infos fold into one), unsigned, signed, or signed and then tampered with."""
    spec = draw(releases())
    if draw(st.booleans()):
        spec["externals"] = spec["externals"] + [
            {"id": f"bulk{i}", "uri": f"https://example.org/bulk/{i}", "kind": "dataset",
             "digest": {"sha256": SHA}, "license": "LicenseRef-closed"} for i in range(25)]
    spec["strict"] = draw(st.booleans())
    spec["signature"] = draw(st.sampled_from(["none", "good", "tampered", "unchecked"]))
    return spec


def build(root: Path, spec: dict[str, Any]) -> Path:
    """Write the release ``spec`` describes under ``root`` (files removed as it says)."""
    make_release(root, spec["files"], spec["steps"], kinds=spec["kinds"],
                 ids={p: p for p in spec["files"]}, extra_artifacts=spec["externals"],
                 profile=spec["profile"], license=spec["license"])
    data = read_manifest(root)
    if any(":" in r for s in spec["steps"] for r in s["inputs"]):
        data["upstream"] = [{"id": "up", "relation": "derived-from",
                             "manifest": {"uri": "https://example.org/up/rebuild.yaml"}}]
    write_manifest(root / "rebuild.yaml", data)
    for path in spec["missing"]:
        (root / path).unlink()
    return root
