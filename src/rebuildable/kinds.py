"""What a file's bytes say about its kind, where they say it beyond doubt.

Some formats are one kind of thing and nothing else: a safetensors, GGUF, PyTorch, Keras
or ONNX file holds trained parameters (a tokenizer only when it holds no tensors); an
ELF, PE, Mach-O, WebAssembly or Java class file is a compiled program; a PSD, XCF, KRA
or ORA file is a layered image. A declared kind that implies no format of its own
(``dataset``, ``document``, ``environment``, ...) is *contradicted* when the bytes are
one of these and the kind is not one such a file may also be (spec/content.md, CON-4a).
The content check reports it, and the profiles then judge the artifact by what its bytes
are (spec/profiles.md, section 1.1), so a relabelled file cannot slip past a rule that
reads its kind.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFINING_FORMATS", "contradicted_family", "editable_family", "flat_vector"]

#: format -> the family its bytes prove
DEFINING_FORMATS: dict[str, str] = {
    **dict.fromkeys(("safetensors", "gguf", "pytorch", "keras", "onnx"), "weights"),
    **dict.fromkeys(("elf", "pe", "macho", "wasm", "java-class", "msdos"), "binary"),
    **dict.fromkeys(("psd", "psb", "xcf", "kra", "ora"), "layered-image"),
}

#: kinds a file of the family may honestly carry besides the family's own
COMPATIBLE: dict[str, frozenset[str]] = {
    "weights": frozenset({"weights", "adapter", "checkpoint"}),
    "binary": frozenset({"binary", "environment"}),
    "layered-image": frozenset({"layered-image", "sample-outputs"}),
}

#: kinds that say nothing about the bytes (sniffing decides, nothing is contradicted)
VAGUE = frozenset({None, "", "other"})


def contradicted_family(kind: str | None, info: Any) -> str | None:
    """The family that the sniffed ``info`` (a :class:`rebuildable.formats.FormatInfo`)
    proves and that the declared ``kind`` denies, or None.

    Only well-formed files count: damaged bytes that begin like a format prove nothing.
    Kinds with format rules of their own (the image kinds, ``binary``, the code kinds) are
    judged by those rules (``content.kind-mismatch``), not here; unknown kinds neither.
    """
    if kind in VAGUE or info is None or getattr(info, "problems", None):
        return None
    family = DEFINING_FORMATS.get(getattr(info, "format", None) or "")
    if family is None or kind in COMPATIBLE[family]:
        return None
    if kind == "tokenizer" and family == "weights" and _no_tensors(info):
        return None  # a vocabulary-only GGUF (llama.cpp's ggml-vocab-*.gguf) is a tokenizer
    return family


def _no_tensors(info: Any) -> bool:
    details = getattr(info, "details", None)
    return isinstance(details, dict) and details.get("tensors") == 0


def flat_vector(info: Any) -> bool:
    """An SVG that draws no vector shape or text (only embedded rasters, or nothing):
    CON-11. A document read only at its root (over the XML bound) is not judged."""
    details = getattr(info, "details", None)
    return (getattr(info, "format", None) == "svg" and isinstance(details, dict)
            and details.get("vector_elements") == 0)


#: the editable families: a kind that claims one must be backed by the bytes
_EDITABLE = frozenset({"layered-image", "vector-image"})


def editable_family(family: str, info: Any) -> str:
    """The family of a file declared ``layered-image`` or ``vector-image`` (``family``), as
    its bytes show it: a layered format with no layer (CON-3) or an SVG with no vector
    content (CON-11) is a raster in an editor's wrapper; a well-formed file of another
    family (CON-4: a PNG or a plain zip named ``.ora``) is that family. Damaged or
    unrecognised bytes prove nothing, and the declared family stands."""
    if family not in _EDITABLE or info is None or getattr(info, "problems", None):
        return family
    if getattr(info, "family", None) == "layered-image" and getattr(info, "layers", 1) == 0:
        return "raster-image"
    if family == "vector-image" and flat_vector(info):
        return "raster-image"
    sniffed = getattr(info, "family", None)
    if isinstance(sniffed, str) and sniffed not in _EDITABLE and sniffed != "document":
        return sniffed  # PDF is allowed as a vector-image (spec/content.md, section 3)
    return family
