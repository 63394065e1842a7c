"""``software``: every binary is built by a step from source code (spec/profiles.md, SW)."""

from __future__ import annotations

from collections.abc import Iterator

from rebuildable.findings import Finding, finding
from rebuildable.profiles._base import (
    BINARY,
    Profile,
    Rule,
    View,
    environment_rule,
    output_copies_input,
    python_environment,
    rule,
)

#: kinds that hold source code a binary can be built from
CODE_KINDS = frozenset({"source-code"})


@rule("SW-1", "a binary or bytecode file MUST NOT be a source")
def binary_not_source(view: View, r: Rule) -> Iterator[Finding]:
    for art in view.sources():
        if art.kind == "environment":
            continue  # a pinned toolchain is the environment, not the work
        if view.family(art) == BINARY:
            how = "declared" if art.kind == "binary" else "recognised by its bytes or name"
            yield finding("profile.binary-source",
                          f"{art.name} is a binary ({how}) that no step builds: a binary is "
                          "never the source of a program",
                          artifact=art.id, location=view.at_artifact(art, "kind"))


@rule("SW-2", "every binary output MUST be built from source code")
def binary_from_source(view: View, r: Rule) -> Iterator[Finding]:
    for art, step in view.outputs():
        if view.family(art) != BINARY:
            continue
        kinds = view.closure_kinds(step)
        if not any(k in kinds for k in CODE_KINDS):
            yield finding("profile.binary-not-from-source",
                          f"binary {art.name} is made by step {step.id!r}, which consumes no "
                          "source code (kind source-code), directly or through earlier steps",
                          artifact=art.id, step=step.id, location=view.at_step(step, "inputs"))


PROFILE = Profile("software", "Programs and libraries", (
    binary_not_source,
    binary_from_source,
    environment_rule("SW-3", "builds the binary", frozenset({BINARY}), python_rule=True),
    python_environment,
    output_copies_input,
))
