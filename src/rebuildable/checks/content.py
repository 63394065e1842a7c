"""Content: the declared kind of each shipped artifact must match its bytes.

Every shipped artifact that is a regular file of the release is sniffed
(:func:`rebuildable.formats.sniff`: bounded reads, never the whole of a large file) and:

* a kind that implies formats (:data:`KIND_RULES`) must hold one of them: a recognised
  format of another family gives ``content.kind-mismatch`` (an error: a PNG declared
  ``layered-image``, a PSD declared ``raster-image``, an ELF declared ``source-code``);
  bytes of no known format give ``content.unrecognised`` (a warning for closed kinds such
  as the image kinds, info for open-ended ones such as ``weights``, whose formats include
  some without a magic number, like ONNX);
* a ``layered-image`` must hold layers. A layered container with no layer record at all
  (a PSD whose layer and mask section is empty, a composite image only) is flat:
  ``content.flat-layered-image``, an error. A single layer is a real, if simple, project
  file: ``content.single-layer``, info;
* structural damage (truncation, offsets out of range, bad headers) is
  ``content.malformed`` when the kind implies formats or the file name's extension
  announces the format found (random data may start with a short signature by chance:
  a ``.dat`` of kind ``other`` that starts with JPEG's three signature bytes is no broken JPEG);
  tolerated departures from a format's rules
  (an OpenRaster ``mimetype`` that is not the first member) are ``content.nonconformant``;
* weights stored as Python pickles (raw pickle, PyTorch zip, NumPy object arrays) give
  ``content.pickle`` (a raw pickle, whose signature is short, only when the kind is one
  of data a program loads or the extension says pickle).

Missing, linked and special files are left to the integrity and path checks. Results go to
``ctx.state.formats`` (path -> FormatInfo) for later checks, and to the report's
``formats`` section (artifact id -> what was found).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from rebuildable.context import Context
from rebuildable.errors import MemberError
from rebuildable.findings import Finding, Location, Severity, finding
from rebuildable.formats import FormatInfo, sniff
from rebuildable.kinds import contradicted_family, flat_vector
from rebuildable.load import join_pointer
from rebuildable.model import Artifact
from rebuildable.release import EntryType
from rebuildable.sections import Formats
from rebuildable.state import declare

SECTION = "formats"

LAYERED_FORMATS = frozenset({"psd", "psb", "xcf", "kra", "ora"})
RASTER_FORMATS = frozenset({"png", "jpeg", "webp", "gif", "bmp", "tiff", "avif", "heif"})
WEIGHT_FORMATS = frozenset({"safetensors", "gguf", "npy", "npz", "pytorch", "pickle", "hdf5",
                            "keras", "onnx"})
BINARY_FORMATS = frozenset({"elf", "pe", "macho", "wasm", "java-class", "jar", "apk", "wheel",
                            "zipapp", "msdos"})
#: file name extensions and the format they announce
EXTENSIONS: dict[str, frozenset[str]] = {
    ext: frozenset(fmts.split()) for ext, fmts in {
        "psd": "psd psb", "psb": "psb psd", "xcf": "xcf", "kra": "kra", "ora": "ora",
        "png": "png", "jpg": "jpeg", "jpeg": "jpeg", "webp": "webp", "gif": "gif",
        "tif": "tiff", "tiff": "tiff", "bmp": "bmp", "avif": "avif", "heic": "heif",
        "svg": "svg", "svgz": "svg", "safetensors": "safetensors", "gguf": "gguf",
        "npy": "npy", "npz": "npz", "pt": "pytorch pickle", "pth": "pytorch pickle",
        "ckpt": "pytorch pickle", "pkl": "pickle", "pickle": "pickle", "h5": "hdf5",
        "hdf5": "hdf5", "keras": "keras", "exe": "pe", "dll": "pe", "so": "elf",
        "whl": "wheel", "jar": "jar", "zip": "zip", "tar": "tar", "gz": "gzip tar svg",
        "tgz": "tar", "pdf": "pdf", "wasm": "wasm", "pyz": "zipapp", "onnx": "onnx",
    }.items()
}
#: kinds whose files are data a program loads: a pickle among them runs code
PICKLE_KINDS = frozenset({"weights", "adapter", "checkpoint", "dataset", "tokenizer",
                          "evaluation-data"})
_CODE_KINDS = ("source-code", "build-script", "training-code", "evaluation-code",
               "data-processing-code", "config", "data-recipe", "model-card")


@dataclass(frozen=True)
class KindRule:
    """What a declared kind allows.

    ``formats``: formats that satisfy the kind. ``tolerated``: families that do not
    contradict it (a weights artifact may be a zip or tar of a checkpoint). ``closed``: the
    kind's formats are all recognisable, so unrecognised bytes are a warning, not info.
    ``forbidden``: for kinds with no format of their own (code, config), families that
    contradict them; everything else is allowed.
    """

    formats: frozenset[str] = frozenset()
    tolerated: frozenset[str] = frozenset()
    closed: bool = False
    forbidden: frozenset[str] = frozenset()


KIND_RULES: dict[str, KindRule] = {
    "layered-image": KindRule(LAYERED_FORMATS, closed=True),
    "vector-image": KindRule(frozenset({"svg", "pdf"}), closed=True),
    "raster-image": KindRule(RASTER_FORMATS, closed=True),
    "weights": KindRule(WEIGHT_FORMATS, tolerated=frozenset({"archive", "data"})),
    "adapter": KindRule(WEIGHT_FORMATS, tolerated=frozenset({"archive", "data"})),
    "binary": KindRule(BINARY_FORMATS, tolerated=frozenset({"archive"})),
    **{kind: KindRule(forbidden=frozenset({"binary"})) for kind in _CODE_KINDS},
}


def formats_for(ctx: Context) -> dict[str, FormatInfo]:
    """Sniff every shipped regular file once and cache the results by path.

    Safe to call from any check, before or after this one.
    """
    cached = ctx.state.formats
    if cached is not None:
        return cached
    entries = ctx.release.entries()
    todo: dict[str, int] = {}
    for art in ctx.manifest.artifacts:
        if art.path is None or art.path in todo:
            continue
        entry = entries.get(art.path)
        if entry is None or entry.type is not EntryType.FILE:
            continue
        todo[art.path] = entry.size
    hashed = ctx.state.hashes or {}
    results: dict[str, FormatInfo] = {}
    pending: list[tuple[str, int]] = []
    for path, size in todo.items():
        inspected = getattr(hashed.get(path), "inspected", None)
        if isinstance(inspected, FormatInfo):
            results[path] = inspected  # sniffed while it was hashed: no second open
        else:
            pending.append((path, size))

    def one(item: tuple[str, int]) -> tuple[str, FormatInfo | None]:
        path, size = item
        try:
            # Open once up front so that a missing or special file is skipped quietly.
            fh = ctx.release.open(path)
        except (MemberError, OSError):
            return path, None
        return path, sniff(lambda: fh, path, size)

    # What was not sniffed while hashed (large archive members, a run that hashed
    # nothing) is opened now. Archive members share one archive handle: one at a time.
    parallel = ctx.release.local_root() is not None
    workers = max(1, min(ctx.options.workers, len(pending))) if parallel else 1
    if workers == 1:
        pairs = [one(item) for item in pending]
    else:
        # the thread pool (and the logging it imports) only for a release worth it
        from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

        with ThreadPoolExecutor(max_workers=workers) as pool:
            pairs = list(pool.map(one, pending))
    for path, info in pairs:
        if info is not None:
            results[path] = info
    ctx.state.formats = results
    return results


@declare(uses=["hashes"], provides=["formats"])
def check(ctx: Context) -> Iterator[Finding]:
    if not ctx.options.hash_files:  # a structure-only run reads no file content
        return
    infos = formats_for(ctx)
    section: dict[str, dict[str, object]] = {}
    for art in ctx.manifest.artifacts:
        if art.path is None or art.path not in infos:
            continue
        info = infos[art.path]
        section[art.id] = _entry(art.path, info)
        yield from _findings(ctx, art, info)
    if section:
        ctx.sections[SECTION] = Formats(section)


def _entry(path: str, info: FormatInfo) -> dict[str, object]:
    """The section's entry: what ``info.to_dict()`` says, sharing the frozen info's own
    lists and details rather than copies (one entry per shipped file: 100,000 files made
    400,000 empty containers)."""
    return {"path": path, "format": info.format, "family": info.family,
            "layered": info.layered, "layers": info.layers, "details": info.details,
            "problems": info.problems, "warnings": info.warnings, "notes": info.notes}


def _announced(path: str, info: FormatInfo) -> bool:
    """Whether the file's name extension names the format its bytes are."""
    name = path.rsplit("/", 1)[-1].lower()
    if "." not in name:
        return False
    return info.format in EXTENSIONS.get(name.rsplit(".", 1)[-1], frozenset())


def _describe(info: FormatInfo) -> str:
    name = (info.format or "unknown").upper()
    return f"{name} ({info.family})" if info.family else name


def _findings(ctx: Context, art: Artifact, info: FormatInfo) -> Iterator[Finding]:
    assert art.path is not None
    path = art.path
    # Located only when a finding needs it: most artifacts have none.
    def kind_at() -> Location:
        return ctx.locate(join_pointer(art.pointer, "kind"))

    def path_at() -> Location:
        return ctx.locate(join_pointer(art.pointer, "path"))

    data = {"format": info.format, "family": info.family}
    rule = KIND_RULES.get(art.kind or "")
    # Arbitrary data may begin with a short signature by chance: damage is a finding when
    # the kind implies formats or the file's name announces the format found.
    claimed = (rule is not None and bool(rule.formats)) or _announced(path, info)
    yield from _structure(art, info, claimed, path_at, data)
    yield from _contradicted(ctx, art, info, rule, kind_at)
    if rule is not None:
        yield from _against_kind(art, info, rule, kind_at, data)


def _structure(art: Artifact, info: FormatInfo, claimed: bool, path_at: Callable[[], Location],
               data: dict[str, Any]) -> Iterator[Finding]:
    """What the reader found inside the bytes: damage, departures, pickled code."""
    path = art.path
    if info.problems and claimed:
        shown = info.problems[:10]
        yield finding("content.malformed",
                      f"{path}: {info.format.upper() + ' ' if info.format else ''}structure is "
                      f"broken: {shown[0]}"
                      + (f" (and {len(info.problems) - 1} more)" if len(info.problems) > 1 else ""),
                      artifact=art.id, location=path_at(), data={**data, "problems": shown})
    if info.warnings:
        yield finding("content.nonconformant", f"{path}: {'; '.join(info.warnings[:5])}",
                      artifact=art.id, location=path_at(), data={**data, "warnings": info.warnings})
    if info.notes:
        yield finding("content.not-checked", f"{path}: {'; '.join(info.notes[:5])}",
                      artifact=art.id, location=path_at(), data={**data, "notes": info.notes})
    if info.details.get("pickle") and (info.format != "pickle" or claimed
                                       or art.kind in PICKLE_KINDS):
        yield finding("content.pickle",
                      f"{path} is a Python pickle ({info.format}): loading it runs the code "
                      "it holds",
                      artifact=art.id, location=path_at(), data=data)


def _against_kind(art: Artifact, info: FormatInfo, rule: KindRule, kind_at: Callable[[], Location],
                  data: dict[str, Any]) -> Iterator[Finding]:
    """Whether the bytes are what the declared kind says they should be."""
    path, kind = art.path, art.kind
    if info.format is None:
        if rule.formats and not info.problems and not info.notes:
            allowed = ", ".join(sorted(rule.formats))
            yield finding("content.unrecognised",
                          f"{path} is declared {kind} but its bytes are none of the formats "
                          f"checked for that kind ({allowed})",
                          severity=None if rule.closed else Severity.INFO,
                          artifact=art.id, location=kind_at(), data={"declared": kind})
        return
    # A raster in an SVG wrapper is what CON-11 tells the publisher to declare raster-image:
    # the kind check must not then send them back to vector-image. (An SVG of nothing at
    # all is no raster either.)
    fits = info.format in rule.formats or (kind == "raster-image" and flat_vector(info)
                                           and bool(info.details.get("raster_images")))
    if rule.formats and not fits and info.family not in rule.tolerated:
        yield finding("content.kind-mismatch",
                      f"{path} is declared {kind} but its bytes are {_describe(info)}"
                      + _suggest(info),
                      artifact=art.id, location=kind_at(),
                      data={**data, "declared": kind, "expected": sorted(rule.formats)})
        return
    if info.family in rule.forbidden and not info.problems:
        yield finding("content.kind-mismatch",
                      f"{path} is declared {kind} but its bytes are {_describe(info)}: a "
                      f"compiled file, not something a person reads and edits",
                      artifact=art.id, location=kind_at(), data={**data, "declared": kind})
        return
    if kind == "layered-image" and fits and info.layers is not None:
        if info.layers == 0:
            yield finding("content.flat-layered-image",
                          f"{path} is declared layered-image but its {info.format.upper()} holds "
                          f"no layers, only a composite image",
                          artifact=art.id, location=kind_at(), data={**data, "layers": 0})
        elif info.layers == 1:
            yield finding("content.single-layer",
                          f"{path} ({info.format.upper()}) holds a single layer",
                          artifact=art.id, location=kind_at(), data={**data, "layers": 1})
    if kind == "vector-image" and fits and flat_vector(info):
        images = info.details.get("raster_images", 0)
        what = (f"only {images} embedded raster image(s)" if images else "nothing at all")
        yield finding("content.flat-vector-image",
                      f"{path} is declared vector-image but its SVG draws no vector shape or "
                      f"text: {what}",
                      artifact=art.id, location=kind_at(),
                      data={**data, "raster-images": images})


def _contradicted(ctx: Context, art: Artifact, info: FormatInfo, rule: KindRule | None,
                  kind_at: Callable[[], Location]) -> Iterator[Finding]:
    """CON-4a: a kind with no formats of its own, denied by bytes that are one thing only
    (weights relabelled ``dataset``). An error where a profile's rules read kinds."""
    if rule is not None and rule.formats:
        return  # kinds with formats of their own are CON-4's business
    family = contradicted_family(art.kind, info)
    if family is None or (rule is not None and family in rule.forbidden):
        return  # not contradicted, or already content.kind-mismatch (CON-5)
    profiles = [p for p in ctx.manifest.effective_profiles if p != "generic"]
    yield finding("content.kind-contradicted",
                  f"{art.path} is declared {art.kind} but its bytes are {_describe(info)}, "
                  f"which is {family} and nothing else"
                  + (f"; the {', '.join(profiles)} profile rules judge it as {family}"
                     if profiles else ""),
                  severity=Severity.ERROR if profiles else Severity.WARNING,
                  artifact=art.id, location=kind_at(),
                  hint=f"Declare it kind {family} (or ship the file the kind promises).",
                  data={"format": info.format, "family": family, "declared": art.kind})


def _suggest(info: FormatInfo) -> str:
    if info.family in ("layered-image", "vector-image", "raster-image", "weights", "binary"):
        return f"; declare it kind {info.family}" if info.family != "weights" else \
            "; declare it kind weights"
    return ""
