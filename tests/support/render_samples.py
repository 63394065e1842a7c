"""Hand-built reports for the renderer tests (no release on disk needed)."""

from __future__ import annotations

from rebuildable.findings import Finding, Location, finding
from rebuildable.report import ReleaseInfo, Report

MANIFEST = "rebuild.yaml"


def loc(line: int, column: int, pointer: str) -> Location:
    return Location(MANIFEST, line, column, pointer)


def sample_findings() -> list[Finding]:
    return [
        finding("license.missing", "release has no licence", location=loc(1, 1, "")),
        finding("refs.dangling-input", "step 'train' input 'zz' names no artifact",
                step="train", location=loc(30, 13, "/steps/0/inputs/2")),
        finding("integrity.digest-mismatch", "digest mismatch for model/weights.safetensors",
                artifact="weights", location=loc(14, 7, "/artifacts/2/digest")),
        finding("unlisted.file", "notes.txt is not listed as an artifact"),
        finding("integrity.no-size", "weights declares no size", artifact="weights",
                location=loc(12, 5, "/artifacts/2")),
        finding("integrity.size-mismatch", "size of src/train.py is 10, declared 12",
                artifact="train-code", location=loc(8, 11, "/artifacts/0/size")),
        finding("refs.unknown-upstream", "input 'base:weights' names no declared upstream",
                upstream="base", location=loc(40, 9, "/upstream/0")),
    ]


def sample_report(*, strict: bool = False) -> Report:
    return Report(ReleaseInfo("tiny-sentiment", "1.2.0", MANIFEST), sample_findings(),
                  strict=strict)


def clean_report() -> Report:
    return Report(ReleaseInfo("tiny-sentiment", "1.2.0", MANIFEST), [
        finding("completeness.summary", "1 output traces back to 2 sources"),
    ])


def warning_report(*, strict: bool = False) -> Report:
    return Report(ReleaseInfo("tiny-sentiment", "1.2.0", MANIFEST), [
        finding("unlisted.file", "notes.txt is not listed as an artifact"),
    ], strict=strict)


def fatal_report() -> Report:
    return Report(ReleaseInfo(None, None, None), [
        finding("release.no-manifest", "dist: no rebuild.yaml, rebuild.yml, rebuild.json here",
                location=Location("dist")),
    ], fatal=True)
