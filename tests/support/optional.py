"""Optional test dependencies: skipped on a developer's machine that lacks them, a failure
in CI (``CI=true``), where .ci/run installs every extra."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def require(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"{module} is not installed", allow_module_level=True)
