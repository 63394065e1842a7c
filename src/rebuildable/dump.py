"""Writing manifests as YAML that every reader reads the same way.

A string is written plain only when both YAML 1.2 (our loader) and YAML 1.1 (PyYAML's
default, and many other readers) would read it back as that same string; otherwise it
is quoted. So ``load(dump(x)) == x`` under :mod:`rebuildable.load`, and also under
``yaml.safe_load``.
"""

from __future__ import annotations

from typing import Any

import yaml

from rebuildable.load.yaml_core import resolve_plain

try:
    from yaml import CSafeDumper as _BaseDumper
except ImportError:  # pragma: no cover - platform dependent
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]


class _ManifestDumper(_BaseDumper):
    pass


def _represent_str(dumper: _ManifestDumper, value: str) -> yaml.ScalarNode:
    node = dumper.represent_scalar("tag:yaml.org,2002:str", value)
    # PyYAML quotes what YAML 1.1 would misread; we add what YAML 1.2 would misread.
    if not isinstance(resolve_plain(value), str) and node.style is None:
        node.style = "'"
    if "\n" in value and node.style is None:
        node.style = "|"
    return node


_ManifestDumper.add_representer(str, _represent_str)


def dump_yaml(data: Any, *, header: str | None = None) -> str:
    """YAML text for ``data``, keys in the order given, block style, UTF-8 friendly."""
    text = yaml.dump(
        data,
        Dumper=_ManifestDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
    if header:
        lines = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
        return lines + text
    return text
