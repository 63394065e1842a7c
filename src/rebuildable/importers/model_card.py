"""``import model-card README.md [DIR]``: a Hugging Face model card's front matter plus
the files of the folder.

Every regular file of DIR is listed as ``init`` lists it (the card itself as a
``model-card``). From the card's YAML front matter:

* ``license`` -> the release's licence: an id of the SPDX list in any letter case is
  written as SPDX spells it; ``other`` with ``license_name`` (or a Hub-specific id such
  as ``llama3``) -> ``LicenseRef-<name>``;
* ``base_model`` (one or a list) -> ``upstream`` entries whose relation comes from
  ``base_model_relation`` (``adapter`` -> ``adapter-of``, ``finetune`` ->
  ``fine-tune-of``, ``quantized`` -> ``quantized-from``, ``merge`` -> ``merged-from``;
  default ``fine-tune-of``) and whose manifest is the Hub page (its digest is left for
  the user to pin: validation says so);
* ``datasets`` -> external ``dataset`` artifacts at the Hub's dataset pages, without
  digests (validation says so);
* ``library_name``, ``pipeline_tag``, ``language`` and ``tags`` -> ``x-`` fields.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rebuildable.draft import build_draft, slugify
from rebuildable.importers._base import (
    MAX_SOURCE_BYTES,
    Imported,
    ImportSourceError,
    base_data,
    draft_text,
)
from rebuildable.load import load_manifest
from rebuildable.readlimit import read_limited

HUB = "https://huggingface.co"
RELATIONS = {"adapter": "adapter-of", "finetune": "fine-tune-of", "fine-tune": "fine-tune-of",
             "quantized": "quantized-from", "merge": "merged-from"}
_FRONT = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_REF_CHARS = re.compile(r"[^A-Za-z0-9.-]+")


def front_matter(text: str, label: str) -> dict[str, Any]:
    match = _FRONT.match(text)
    if match is None:
        raise ImportSourceError(f"{label}: no YAML front matter (a block between --- lines at "
                                "the top)")
    loaded = load_manifest(match.group(1).encode("utf-8"), label)
    if loaded.document is None or not isinstance(loaded.document.data, dict):
        detail = loaded.findings[0].message if loaded.findings else "not a YAML mapping"
        raise ImportSourceError(f"{label}: front matter: {detail}")
    return loaded.document.data


def spdx_license(card: dict[str, Any], notes: list[str]) -> str | None:
    """The card's licence as an SPDX expression (or None)."""
    from rebuildable.checks.licenses import analyze  # noqa: PLC0415

    raw = card.get("license")
    if isinstance(raw, list):
        raw = raw[0] if len(raw) == 1 else None
        if raw is None:
            notes.append("license: several licences listed; set `license:` by hand")
    if not isinstance(raw, str) or not raw.strip():
        return None
    if raw.lower() == "other":
        name = card.get("license_name")
        if not isinstance(name, str) or not name.strip():
            notes.append("license: other, with no license_name; set `license:` by hand")
            return None
        ref = "LicenseRef-" + _REF_CHARS.sub("-", name).strip("-")
        link = card.get("license_link")
        notes.append(f"license: {ref} (from license_name"
                     + (f"; its text: {link})" if isinstance(link, str) else ")"))
        return ref
    info = analyze(raw)
    if info.valid and not info.unknown and len(info.canonical) == 1:
        return info.canonical[0]  # the Hub writes SPDX ids in lower case
    if info.valid and not info.unknown:
        return raw
    ref = "LicenseRef-" + _REF_CHARS.sub("-", raw).strip("-")
    notes.append(f"license: {raw!r} is not on the SPDX list; written as {ref}")
    return ref


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def import_model_card(source: Path, root: Path, *, name: str | None = None,
                      version: str | None = None, license: str | None = None) -> Imported:
    try:
        text = read_limited(source, MAX_SOURCE_BYTES).decode("utf-8")
    except OSError as exc:
        raise ImportSourceError(f"{source}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ImportSourceError(f"{source}: not UTF-8 text (byte {exc.start})") from exc
    card = front_matter(text, source.name)
    notes: list[str] = []
    card_license = spdx_license(card, notes)
    model_name = card.get("model_name") if isinstance(card.get("model_name"), str) else None
    draft = build_draft(root, name=name or (slugify(model_name) if model_name else None),
                        version=version or "0.1.0", license=license or card_license)
    data = base_data(draft.data["name"], draft.data["version"], draft.data.get("license"))
    relation_word = str(card.get("base_model_relation", "")).lower()
    bases = _as_list(card.get("base_model"))
    data["profile"] = "adapter" if relation_word == "adapter" and bases else "ml-model"
    for key in ("library_name", "pipeline_tag", "language", "tags"):
        if key in card and card[key] is not None:
            data[f"x-{key}"] = card[key]
    card_path = source.resolve().relative_to(root.resolve()).as_posix() \
        if source.resolve().is_relative_to(root.resolve()) else None
    artifacts = draft.data["artifacts"]
    for art in artifacts:
        if art["path"] == card_path:
            art["kind"] = "model-card"
    for dataset in _as_list(card.get("datasets")):
        artifacts.append({"id": "dataset-" + slugify(dataset), "uri": f"{HUB}/datasets/{dataset}",
                          "kind": "dataset"})
        notes.append(f"dataset {dataset}: external, with no digest; add `digest:` (the "
                     "dataset revision's files) or ship it")
    data["artifacts"] = artifacts
    upstream = []
    for base in bases:
        relation = RELATIONS.get(relation_word, "fine-tune-of")
        upstream.append({"id": slugify(base), "relation": relation, "name": base,
                         "manifest": {"uri": f"{HUB}/{base}"}})
        notes.append(f"base model {base}: {relation}; pin its manifest's digest "
                     "(manifest.digest) once it publishes one")
    if upstream:
        data["upstream"] = upstream
    todo = ["pin each upstream manifest's `digest` and each external dataset's `digest`",
            "add `steps:` that train the weights from the training code, data and config"]
    return Imported(data, draft_text(data, str(source), todo), notes)
