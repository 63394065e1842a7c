"""The step graph of a manifest: which step produces and which consume each artifact, what
an output is made from, the order steps can run in, and the cycles that forbid one.

Every reader of ``steps`` (completeness, profiles, refs, the rebuild plan, openness)
walks this one graph, so that they agree. When two steps list the same output (REF-3,
``refs.multiple-producers``), the FIRST one in manifest order is its producer everywhere
(:meth:`Manifest.producers`, which the graph uses); when two steps share an id, the
first is the step of that id.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping, Sequence

from rebuildable.model import Manifest, Step

__all__ = ["StepCycleError", "StepGraph", "needs"]


def needs(step: Step) -> tuple[str, ...]:
    """A step's inputs, then its environment: everything needed to run it."""
    if step.environment is None:
        return step.inputs
    return (*step.inputs, step.environment)


class StepCycleError(ValueError):
    """The steps cannot be ordered: ``pending`` depend on each other in a cycle."""

    def __init__(self, pending: Sequence[str]) -> None:
        super().__init__("steps depend on each other in a cycle: " + ", ".join(pending))
        self.pending = tuple(pending)


class StepGraph:
    """Producers, consumers, closures, topological order and cycles of a list of steps."""

    def __init__(self, manifest: Manifest) -> None:
        #: every step as listed, repeated ids included (each one still runs its command)
        self.all_steps: tuple[Step, ...] = tuple(manifest.steps)
        by_id: dict[str, Step] = {}
        for s in self.all_steps:
            by_id.setdefault(s.id, s)
        #: one step per id, the first, in manifest order
        self.steps: tuple[Step, ...] = tuple(by_id.values())
        self.by_id = by_id
        #: artifact id -> the first step that lists it among its outputs
        self.producers: Mapping[str, Step] = manifest.producers()
        #: artifact ref -> the steps that need it (inputs or environment), in order
        self.consumers: dict[str, list[Step]] = {}
        for s in self.all_steps:
            for ref in dict.fromkeys(needs(s)):
                self.consumers.setdefault(ref, []).append(s)
        self._closure: dict[str, frozenset[str]] = {}

    def dependencies(self, step: Step) -> list[str]:
        """Ids of the steps whose outputs ``step`` needs (itself excluded), in need order."""
        producers = self.producers
        return [producers[r].id for r in needs(step)
                if r in producers and producers[r].id != step.id]

    def closure(self, step: Step) -> frozenset[str]:
        """Every artifact reference ``step`` depends on, directly or through the steps that
        made its inputs (``UP:ART`` references included, not followed further)."""
        cached = self._closure.get(step.id)
        if cached is not None:
            return cached
        seen: set[str] = set()
        stack = list(needs(step))
        while stack:
            ref = stack.pop()
            if ref in seen:
                continue
            seen.add(ref)
            maker = self.producers.get(ref)
            if maker is not None and maker.id != step.id:
                stack.extend(needs(maker))
        result = frozenset(seen)
        self._closure[step.id] = result
        return result

    def source_closure(self) -> set[str]:
        """Every source reference (no step produces it) that some output depends on.

        Any step with an output lies on the path back from that output, so the union of all
        closures is the sources needed by the steps that have outputs, followed back.
        """
        out: set[str] = set()
        seen_steps: set[int] = set()
        queue: deque[Step] = deque(s for s in self.all_steps if s.outputs)
        while queue:
            step = queue.popleft()
            if id(step) in seen_steps:
                continue
            seen_steps.add(id(step))
            for ref in needs(step):
                producer = self.producers.get(ref)
                if producer is not None:
                    queue.append(producer)
                else:
                    out.add(ref)
        return out

    def affected_outputs(self, ref: str) -> list[str]:
        """Outputs whose closure holds ``ref`` (a forward walk through the consumers)."""
        found: dict[str, None] = {}
        seen: set[str] = {ref}
        queue: deque[str] = deque([ref])
        while queue:
            current = queue.popleft()
            for step in self.consumers.get(current, ()):
                for out in step.outputs:
                    if out not in seen:
                        seen.add(out)
                        found[out] = None
                        queue.append(out)
        return list(found)

    def order(self) -> list[Step]:
        """Steps in dependency order; among steps ready together, manifest order.

        Raises :class:`StepCycleError` when the steps depend on each other in a cycle.
        """
        deps = {s.id: set(self.dependencies(s)) for s in self.steps}
        done: set[str] = set()
        ordered: list[Step] = []
        pending = list(self.steps)
        while pending:
            ready = next((s for s in pending if deps[s.id] <= done), None)
            if ready is None:
                raise StepCycleError([s.id for s in pending])
            ordered.append(ready)
            done.add(ready.id)
            pending.remove(ready)
        return ordered

    def cycles(self) -> Iterator[tuple[Step, list[str]]]:
        """Each cycle once, as (the step where a depth-first search closes it, the step ids
        around it, the first repeated at the end)."""
        deps = {s.id: self.dependencies(s) for s in self.steps}
        white, grey, black = 0, 1, 2
        colour = dict.fromkeys(deps, white)
        for start in deps:
            if colour[start] != white:
                continue
            # Iterative: deep chains of steps must not hit the recursion limit.
            stack: list[tuple[str, int]] = [(start, 0)]
            path: list[str] = [start]
            colour[start] = grey
            while stack:
                node, i = stack[-1]
                if i < len(deps[node]):
                    stack[-1] = (node, i + 1)
                    nxt = deps[node][i]
                    if colour[nxt] == grey:
                        yield self.by_id[node], [*path[path.index(nxt):], nxt]
                    elif colour[nxt] == white:
                        colour[nxt] = grey
                        path.append(nxt)
                        stack.append((nxt, 0))
                else:
                    colour[node] = black
                    stack.pop()
                    path.pop()
