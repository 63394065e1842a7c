"""Equivalence policies as the manifest writes them (``spec/rebuild.md`` [REB-10])."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

POLICIES = ("exact", "text", "numeric", "image", "archive")
NUMERIC_DEFAULTS = {"rtol": 1e-05, "atol": 1e-08}  # numpy.isclose's defaults


class PolicyError(ValueError):
    """An equivalence policy is not one this version knows."""


@dataclass(frozen=True)
class EquivalencePolicy:
    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Any:
        return {self.name: dict(self.params)} if self.params else self.name


def parse_policy(raw: Any) -> EquivalencePolicy:
    """``"exact"`` or ``{"numeric": {"rtol": 1e-5}}`` -> :class:`EquivalencePolicy`."""
    if raw is None:
        return EquivalencePolicy("exact")
    if isinstance(raw, str):
        if raw not in POLICIES:
            raise PolicyError(f"unknown equivalence policy {raw!r}")
        return EquivalencePolicy(raw)
    if isinstance(raw, dict) and len(raw) == 1:
        (name, params), = raw.items()
        if name not in POLICIES:
            raise PolicyError(f"unknown equivalence policy {name!r}")
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise PolicyError(f"the parameters of {name!r} must be a mapping")
        allowed = {"exact": set(), "text": set(), "numeric": {"rtol", "atol"},
                   "image": {"tolerance", "max-differing", "min-psnr"},
                   "archive": {"members"}}[name]
        unknown = set(params) - allowed
        if unknown:
            raise PolicyError(f"unknown parameter(s) for {name!r}: {', '.join(sorted(unknown))}")
        for key in ("rtol", "atol", "tolerance", "max-differing", "min-psnr"):
            if key in params:
                value = params[key]
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise PolicyError(f"{name}.{key} must be a non-negative number")
        if "members" in params:
            parse_policy(params["members"])
        return EquivalencePolicy(name, dict(params))
    raise PolicyError("an equivalence policy is a name or a mapping with one key")

