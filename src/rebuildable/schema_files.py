"""The JSON Schemas shipped with the package, by short name, and their registry."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from referencing import Registry

SCHEMA_NAMES = ("manifest", "report")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A shipped schema by short name ("manifest", "report", "policy", ...)."""
    text = (
        resources.files("rebuildable").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def registry() -> Registry[Any]:
    from referencing import Registry, Resource  # noqa: PLC0415 - see the imports above

    reg: Registry[Any] = Registry()
    folder = resources.files("rebuildable").joinpath("schemas")
    for entry in folder.iterdir():
        if entry.name.endswith(".schema.json"):
            contents = json.loads(entry.read_text("utf-8"))
            reg = reg.with_resource(contents["$id"], Resource.from_contents(contents))
    return reg
