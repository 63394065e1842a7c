"""``dataset``: derived data is made by processing code from raw sources (DS)."""

from __future__ import annotations

from collections.abc import Iterator

from rebuildable.findings import Finding, finding
from rebuildable.model import Artifact, Step
from rebuildable.profiles._base import (
    Profile,
    Rule,
    View,
    environment_rule,
    output_copies_input,
    rule,
)

#: a shard index is the data its shards are (spec/shards.md)
DATASET_KINDS = frozenset({"dataset", "shard-index"})
DATA_KINDS = DATASET_KINDS | {"data-recipe"}


def derived(view: View) -> Iterator[tuple[Artifact, Step]]:
    return ((a, s) for a, s in view.outputs() if a.kind in DATASET_KINDS)


@rule("DS-1", "derived data MUST be produced by data-processing code")
def processing_code(view: View, r: Rule) -> Iterator[Finding]:
    for art, step in derived(view):
        if "data-processing-code" not in view.closure_kinds(step):
            yield finding("profile.no-processing-code",
                          f"derived data {art.name} is made by step {step.id!r}, which consumes "
                          "no data-processing code (kind data-processing-code)",
                          artifact=art.id, step=step.id, location=view.at_step(step, "inputs"))


@rule("DS-2", "derived data MUST be produced from at least one raw data source")
def raw_sources(view: View, r: Rule) -> Iterator[Finding]:
    has_raw: dict[str, bool] = {}  # by step: a step may make thousands of outputs
    for art, step in derived(view):
        if step.id not in has_raw:
            kinds = view.closure_kinds(step)
            has_raw[step.id] = any(ref not in view.producers
                                   for kind in DATA_KINDS for ref in kinds.get(kind, ()))
        if not has_raw[step.id]:
            yield finding("profile.no-raw-data",
                          f"derived data {art.name} is made by step {step.id!r} from no raw data "
                          "source (a dataset or data-recipe that no step produces, or an "
                          "upstream dataset)",
                          artifact=art.id, step=step.id, location=view.at_step(step, "inputs"))


@rule("DS-5", "a dataset release MUST derive data: some step produces a dataset")
def derives_data(view: View, r: Rule) -> Iterator[Finding]:
    if next(derived(view), None) is None:
        datasets = [a.id for a in view.index.values() if a.kind in DATASET_KINDS]
        more = ", ..." if len(datasets) > 5 else ""
        named = f" ({', '.join(datasets[:5])}{more})" if datasets else ""
        yield finding("profile.no-derived-data",
                      f"no step produces data of kind dataset{named}: every dataset is declared "
                      "a source, so nothing shows how the published data was made",
                      location=view.ctx.locate("/steps" if view.ctx.manifest.steps else "/profile"))


@rule("DS-3", "a dataset release SHOULD ship a data card")
def data_card(view: View, r: Rule) -> Iterator[Finding]:
    if not any(a.kind == "data-card" for a in view.index.values()):
        yield finding("profile.no-data-card",
                      "the release ships no data card (kind data-card): where the data comes "
                      "from, its licences, how it was filtered",
                      location=view.ctx.locate("/artifacts"))


PROFILE = Profile("dataset", "Datasets derived from raw sources", (
    processing_code,
    raw_sources,
    derives_data,
    data_card,
    environment_rule("DS-4", "produces the derived data", frozenset({"dataset"})),
    output_copies_input,
))
