"""The lineage graph of a release page: a layered layout for an inline SVG.

Columns are generations: upstream releases to the left (up to :data:`DEPTH` levels), the
release in the middle, downstream releases to the right. A column holds at most
:data:`PER_COLUMN` releases; one more node says how many were left out. Coordinates only;
the template draws them, so every label goes through the template's escaping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Graph", "layout"]

DEPTH = 2
#: nodes per column before the rest are summed up in one
PER_COLUMN = 12
NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 200, 44, 70, 16, 10


@dataclass
class Node:
    key: str
    title: str
    subtitle: str
    href: str | None
    column: int
    x: int = 0
    y: int = 0
    current: bool = False


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    #: (from node, to node, relation): from the upstream to the release derived from it
    edges: list[tuple[Node, Node, str]] = field(default_factory=list)
    width: int = 0
    height: int = 0


#: a reference -> its lineage: ``upstream`` and ``downstream`` lists, and
#: ``downstream_total`` when the downstream list is not all of them
Lineage = Callable[[dict[str, Any]], dict[str, Any]]


def _key(ref: dict[str, Any]) -> str:
    return str(ref.get("digest") or f"{ref.get('name')}@{ref.get('version')}")


def _node(ref: dict[str, Any], column: int) -> Node:
    published = ref.get("namespace") is not None
    title = f"{ref.get('name') or '(unnamed)'} {ref.get('version') or ''}".strip()
    href = (f"/{ref['namespace']}/{ref['name']}/{ref['version']}" if published else None)
    sub = ref["namespace"] if published else "not published here"
    return Node(_key(ref), title, str(sub), href, column)


def layout(center: dict[str, Any], lineage: Lineage) -> Graph:
    """Walk ``lineage`` (a function from a reference to its lineage) from ``center``."""
    graph = Graph()
    root = _node(center, 0)
    root.current = True
    nodes = {root.key: root}
    columns: dict[int, list[Node]] = {0: [root]}
    #: per column, the releases not drawn (past PER_COLUMN, or past what a lineage lists)
    left_out: dict[int, set[str]] = {}
    for direction in (-1, 1):
        frontier = [(center, root)]
        for depth in range(1, DEPTH + 1):
            nxt = []
            for ref, node in frontier:
                if ref.get("namespace") is None:
                    continue
                found = lineage(ref)
                items = found["upstream" if direction < 0 else "downstream"]
                skipped = left_out.setdefault(direction * depth, set())
                if direction > 0:
                    unlisted = int(found.get("downstream_total") or 0) - len(items)
                    skipped.update(f"{node.key}+{i}" for i in range(unlisted))
                for item in items:
                    other = nodes.get(_key(item))
                    if other is None:
                        col = columns.setdefault(direction * depth, [])
                        if len(col) >= PER_COLUMN:
                            skipped.add(_key(item))
                            continue
                        other = _node(item, direction * depth)
                        nodes[other.key] = other
                        col.append(other)
                        nxt.append((item, other))
                    edge = (other, node) if direction < 0 else (node, other)
                    graph.edges.append((*edge, str(item.get("relation") or "")))
            frontier = nxt
    for column, keys in left_out.items():
        if keys:  # said, not silently dropped: the tables below list them
            columns.setdefault(column, []).append(
                Node(f"more:{column}", f"+{len(keys)} more", "not drawn here", None, column))
    _place(graph, columns)
    return graph


def _place(graph: Graph, columns: dict[int, list[Node]]) -> None:
    order = sorted(columns)
    tallest = max(len(columns[c]) for c in order)
    graph.height = PAD * 2 + tallest * NODE_H + (tallest - 1) * GAP_Y
    for i, c in enumerate(order):
        col = columns[c]
        used = len(col) * NODE_H + (len(col) - 1) * GAP_Y
        top = (graph.height - used) // 2
        for j, node in enumerate(col):
            node.x = PAD + i * (NODE_W + GAP_X)
            node.y = top + j * (NODE_H + GAP_Y)
            graph.nodes.append(node)
    graph.width = PAD * 2 + len(order) * NODE_W + (len(order) - 1) * GAP_X
