"""A report's typed sections, built at random from what their fields may hold, always
give a report that fits ``schemas/report.schema.json`` and survives a JSON round trip
(the text of any string, NUL and astral characters included, comes back unchanged)."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from rebuildable.formats import FormatInfo
from rebuildable.formats.c2pa import Ingredient
from rebuildable.openness import ArtifactOpenness, MofComponent, OsaidAssessment
from rebuildable.openness.frameworks import OsaidElement
from rebuildable.openness.licences import Judgement, OpennessStatus
from rebuildable.rebuild_records import (
    SegmentRef,
    StepInput,
    StepOutput,
    StepRecord,
    StepRunRecord,
)
from rebuildable.report import ReleaseInfo, Report
from rebuildable.schema import validator
from rebuildable.sections import (
    C2pa,
    Formats,
    Keyless,
    LicenceCount,
    MofVerdict,
    OpenSourceVerdict,
    PolicyOutcome,
    Rebuild,
    RebuildabilityVerdict,
    Signatures,
    UpstreamVerdict,
    Verdict,
    Verdicts,
)

VALIDATOR = validator("report")

text = st.text(max_size=12)
maybe_text = st.none() | text
texts = st.lists(text, max_size=3)
keys = st.text(min_size=1, max_size=8)
count = st.integers(0, 2**53)
keyid = st.text("0123456789abcdef", min_size=64, max_size=64)
STATUS = st.sampled_from(["open", "unknown", "not-open"])
CLASSES = st.sampled_from([None, "Class I", "Class II", "Class III"])
MODES = st.sampled_from(["full", "sampled", "none"])


def verdict() -> st.SearchStrategy[Verdict]:
    return st.builds(Verdict, st.booleans(), texts)


STATUSES = st.sampled_from(list(OpennessStatus))
judgement = st.builds(Judgement, STATUSES, st.lists(text, max_size=2).map(tuple),
                      st.frozensets(st.sampled_from(["osi", "fsf", "open-content",
                                                     "scancode-open"]), max_size=2),
                      maybe_text)
openness = st.builds(ArtifactOpenness, text, text, maybe_text, maybe_text, judgement,
                     STATUSES, texts, maybe_text)
open_source = st.builds(
    OpenSourceVerdict, st.booleans(), st.booleans(), texts, text,
    st.dictionaries(keys, openness, max_size=2),
    st.dictionaries(keys, st.builds(LicenceCount, STATUS, st.integers(1, 10**6)),
                    max_size=2))
upstream = st.builds(
    UpstreamVerdict, st.sampled_from(["valid", "invalid", "unresolved", "missing", "escapes",
                                      "weak", "mismatch", "cycle", "too-deep"]),
    maybe_text, maybe_text, st.none() | st.tuples(maybe_text, maybe_text),
    st.none() | st.dictionaries(keys, count, max_size=3), st.none() | st.booleans())
component = st.builds(MofComponent, text, st.sampled_from(["I", "II", "III"]),
                      st.booleans(), st.booleans(), texts)
mof = st.just(MofVerdict.not_applicable()) | st.builds(
    MofVerdict, CLASSES, name=maybe_text, next=CLASSES, missing_for_next=texts,
    components=st.dictionaries(keys, component, max_size=2), framework=text)
element = st.builds(OsaidElement, st.booleans(), st.booleans(), texts)
osaid = st.builds(OsaidAssessment, element, element, element, text)
rebuildable = st.builds(RebuildabilityVerdict, MODES, text, texts,
                        st.dictionaries(keys, MODES, max_size=2),
                        st.floats(0, 1e12, allow_nan=False))
verdicts = st.builds(Verdicts, verdict(), verdict(), open_source,
                     st.dictionaries(keys, upstream, max_size=2), mof=mof,
                     osaid=st.none() | osaid, rebuildable=st.none() | rebuildable)

outcome = st.builds(
    PolicyOutcome, st.booleans(), st.lists(keyid, max_size=2), count,
    st.lists(st.fixed_dictionaries({"index": count, "keyid": maybe_text,
                                    "verified_by": st.none() | keyid}), max_size=2),
    st.just([]), st.lists(st.fixed_dictionaries({"code": text, "message": text}), max_size=2))
signatures = st.builds(
    Signatures, text, st.booleans(), verified=st.booleans(), error=maybe_text,
    policy=st.none() | st.dictionaries(keys, text, max_size=2), bundle=maybe_text,
    payload_type=maybe_text, signature_count=st.none() | count,
    outcome=st.none() | outcome, predicate_matches=st.none() | st.booleans(),
    subjects_match=st.none() | st.booleans())
keyless = st.builds(Keyless, text, text, maybe_text, st.sampled_from(["production", "staging"]),
                    st.booleans())

json_value = st.recursive(st.none() | st.booleans() | count | text
                          | st.floats(allow_nan=False, allow_infinity=False),
                          lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(keys, inner, max_size=3), max_leaves=8)
format_info = st.builds(FormatInfo, format=maybe_text, family=maybe_text,
                        layered=st.none() | st.booleans(), layers=st.none() | count,
                        details=st.dictionaries(keys, json_value, max_size=3),
                        problems=texts, warnings=texts, notes=texts)
formats = st.builds(Formats, st.dictionaries(
    keys, st.tuples(text, format_info).map(lambda p: {"path": p[0], **p[1].to_dict()}),
    max_size=3))

alg = st.sampled_from(["sha256", "sha512", "blake3"])
ingredient = st.builds(Ingredient, maybe_text, maybe_text, maybe_text, maybe_text, maybe_text,
                       st.dictionaries(alg, st.text("0123456789abcdef", max_size=8),
                                       max_size=2))
c2pa_entry = st.fixed_dictionaries({
    "path": text, "state": maybe_text, "intact": st.booleans(), "trusted": st.booleans(),
    "signer": maybe_text, "generator": maybe_text,
    "ingredients": st.lists(ingredient.map(Ingredient.to_dict), max_size=3),
    "parent": st.none() | st.fixed_dictionaries({"artifact": text, "path": text,
                                                 "by": st.sampled_from(["digest", "title"])})})
c2pa = st.builds(C2pa, st.dictionaries(keys, c2pa_entry, max_size=2))

validation = st.fixed_dictionaries({"ok": st.booleans(), "counts": st.dictionaries(
    keys, count, max_size=2)}, optional={"errors": texts})
isolation = st.fixed_dictionaries(
    {"method": st.sampled_from(["bwrap", "unshare", "none"]), "network": st.booleans(),
     "readonly_system": st.booleans()},
    optional={"private_mounts": st.booleans(),
              "timeout": st.floats(0.001, 1e9, allow_nan=False)})
digest = st.dictionaries(alg, st.text("0123456789abcdef", max_size=8), max_size=2)
step = st.builds(
    StepRecord, text,
    st.sampled_from(["pending", "reproduced", "differs", "failed", "timeout", "skipped",
                     "unavailable"]),
    maybe_text, isolation,
    inputs=st.lists(st.builds(StepInput, text, text, st.booleans(), maybe_text, maybe_text),
                    max_size=2),
    outputs=st.lists(st.builds(
        StepOutput, text, maybe_text,
        st.sampled_from(["reproduced", "equivalent", "differs", "missing", "unchecked",
                         "not-built", "too-large"]),
        digest=st.none() | digest, matches_declared_digest=st.none() | st.booleans(),
        policy=json_value, summary=maybe_text,
        details=st.none() | st.dictionaries(keys, json_value, max_size=2),
        second_run=st.none() | st.sampled_from(["identical", "equivalent", "differs"])),
        max_size=2),
    runs=st.lists(st.builds(StepRunRecord, st.none() | st.integers(-255, 255), st.booleans(),
                            st.floats(0, 1e9, allow_nan=False), st.booleans(), text,
                            maybe_text), max_size=2),
    work_dir=maybe_text,
    segment=st.none() | st.builds(SegmentRef, count, maybe_text, text, text),
    environment=st.none() | st.fixed_dictionaries(
        {"artifact": text, "lock": st.sampled_from(["pylock", "requirements"]),
         "source": text}),
    nondeterministic=st.booleans())
rebuild = st.builds(Rebuild, st.booleans(), validation, steps=st.lists(step, max_size=2),
                    isolation=st.none() | isolation,
                    source_date_epoch=st.none() | st.fixed_dictionaries(
                        {"value": count, "from": st.sampled_from(["manifest", "default"])}),
                    mode=st.sampled_from(["all", "step", "sample"]), twice=st.booleans(),
                    work_dir=maybe_text,
                    summary=st.fixed_dictionaries({"steps": st.dictionaries(keys, count,
                                                                            max_size=2)}))

sections = st.fixed_dictionaries({}, optional={
    "verdicts": verdicts, "signatures": signatures, "keyless": keyless, "formats": formats,
    "c2pa": c2pa, "rebuild": rebuild})


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(
            _same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


@given(sections, maybe_text, maybe_text)
def test_random_sections_fit_the_schema_and_round_trip(found: dict[str, Any],
                                                       name: str | None,
                                                       version: str | None) -> None:
    report = Report(ReleaseInfo(name, version, "rebuild.yaml"), sections=found)
    data = report.to_dict()
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in VALIDATOR.iter_errors(data)]
    assert errors == []
    text_form = json.dumps(data, ensure_ascii=False, allow_nan=False)
    assert _same(json.loads(text_form), data)
    for key, section in found.items():
        assert report.section(type(section)) is section, key
