"""Test helpers the vector generators share, loaded without the implementation.

``tests/support/__init__.py`` imports rebuildable, which a generator must not (its vectors
would agree with the implementation by construction), so the generators load the few
helper modules they use (``releases``, ``formats_build``) by path instead of as a package.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent.parent


def support(name: str) -> ModuleType:
    """``tests/support/<name>.py``, loaded by path as module ``_support_<name>``."""
    spec = importlib.util.spec_from_file_location(f"_support_{name}",
                                                  ROOT / "tests" / "support" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
