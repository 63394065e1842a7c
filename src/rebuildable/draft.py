"""The core of ``rebuildable init``: scan a folder, hash every file, guess each file's
kind, and build a draft manifest that validates.

Nothing here prints or exits: :func:`build_draft` returns a :class:`Draft` (the
manifest data, its YAML text, and what was skipped and why), and
:func:`write_manifest` writes it, refusing to overwrite without ``force``. Only
regular files count; links and special files are skipped and reported, as are files
whose names could never validate (not NFC, backslashes, control characters).
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

import pathspec

from rebuildable._version import __version__
from rebuildable.checks.unlisted import VCS_FOLDERS
from rebuildable.defaults import DEFAULT_ALGORITHM, DEFAULT_VERSION, MANIFEST_NAME
from rebuildable.digest import ALGORITHMS, HashJob, available, hash_members
from rebuildable.dump import dump_yaml
from rebuildable.errors import MemberError, RebuildableError, UsageError
from rebuildable.formats import FormatInfo, sniff
from rebuildable.ignore import MAX_IGNORE_BYTES, parse_ignore
from rebuildable.model import (
    ENVELOPE_NAME,
    IGNORE_FILE,
    MANIFEST_NAMES,
    SPEC_VERSION,
)
from rebuildable.progress import NO_PROGRESS, Progress
from rebuildable.release import EntryType, FolderRelease

__all__ = [
    "DEFAULT_VERSION",
    "Draft",
    "DraftError",
    "DraftUsageError",
    "Skipped",
    "build_draft",
    "guess_kind",
    "slugify",
    "unique_ids",
    "write_manifest",
]


#: how much of each file is read to recognise its format
HEAD_BYTES = 4096
_ID_MAX = 128

HEADER = f"""\
Draft provenance manifest written by `rebuildable init` (rebuildable {__version__}).

Every file below was hashed. Before you publish:
  1. check each artifact's `kind` (a guess from its name and content) and `license`;
  2. add `steps:` saying how the outputs are made from the sources, for example
       steps:
         - id: build
           run: make
           inputs: [makefile, src-main.c]
           outputs: [dist-hello]
  3. run `rebuildable validate` until it reports no errors, then
     `rebuildable sign --key KEYFILE`.
Spec: {SPEC_VERSION}."""


class DraftError(RebuildableError):
    """No draft can be made of the folder: a file cannot be read, or nothing to list."""


class DraftUsageError(DraftError, UsageError):
    """The caller asked for a draft that cannot be: a bad algorithm or version, an
    unreadable ignore file, or a manifest already in the way."""


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str


@dataclass
class Draft:
    data: dict[str, Any]
    text: str
    skipped: list[Skipped] = field(default_factory=list)
    #: listed files whose bytes are a damaged instance of a known format
    damaged: list[Skipped] = field(default_factory=list)
    total_bytes: int = 0

    @property
    def artifact_count(self) -> int:
        return len(self.data["artifacts"])

    def kind_counts(self) -> dict[str, int]:
        """Artifacts per kind, most common first."""
        return kind_counts(self.data)


# -- kinds ------------------------------------------------------------------------------

_BUILD_SCRIPTS = frozenset({
    "makefile", "gnumakefile", "build.sh", "setup.py", "setup.cfg", "pyproject.toml",
    "cmakelists.txt", "meson.build", "build.gradle", "build.gradle.kts", "pom.xml",
    "justfile", "snakefile", "sconstruct", "build.zig", "cargo.toml", "package.json",
    "makefile.am", "configure.ac", "build.py", "noxfile.py", "tox.ini", "dvc.yaml",
})
_ENVIRONMENT_NAMES = frozenset({
    "environment.yml", "environment.yaml", "pipfile", "dockerfile", "containerfile",
    "go.sum", "flake.lock", "conda-lock.yml", "requirements.in", "constraints.txt",
    "apt.txt", "runtime.txt", "package-lock.json", "pnpm-lock.yaml", "yarn.lock",
})
_ENVIRONMENT_GLOBS = ("*.lock", "requirements*.txt", "*.lock.yml", "*.lock.yaml")
_TOKENIZER_NAMES = frozenset({
    "tokenizer.json", "tokenizer.model", "tokenizer_config.json", "vocab.txt", "vocab.json",
    "merges.txt", "special_tokens_map.json", "sentencepiece.model", "spiece.model",
})
_DOCUMENT_STEMS = frozenset({
    "readme", "license", "licence", "copying", "notice", "authors", "changelog", "changes",
    "contributing", "citation", "code_of_conduct", "security", "history", "news",
})
_SCRIPT_PREFIXES = (
    ("training-code", ("train", "finetune", "fine_tune", "fine-tune", "pretrain")),
    ("evaluation-code", ("eval", "evaluate", "benchmark", "score")),
    ("data-processing-code", ("prepare", "preprocess", "tokenize", "clean", "make_dataset",
                              "build_dataset", "download")),
)
_SUFFIX_KINDS: dict[str, str] = {}
for _kind, _suffixes in (
    ("source-code", ".py .pyi .pyx .c .h .cc .cpp .cxx .hpp .hh .rs .go .js .mjs .cjs .ts .tsx "
                    ".jsx .java .kt .kts .scala .rb .pl .pm .php .r .jl .lua .hs .ml .mli .swift "
                    ".m .mm .cs .fs .vb .sh .bash .zsh .fish .ps1 .bat .sql .f .f90 .zig .nim "
                    ".dart .ex .exs .erl .clj .lisp .el .scm .rkt .v .sv .vhd .cu .cuh .glsl "
                    ".hlsl .wgsl .asm .s .ipynb .tex .css .scss .html .htm .vue .svelte .proto"),
    ("dataset", ".csv .tsv .parquet .jsonl .ndjson .arrow .feather .avro .orc .tfrecord "
                ".tfrecords .h5ad .conll .libsvm .arff .sqlite .db .dta .sav .xlsx .xls .ods"),
    ("weights", ".safetensors .gguf .ggml .npz .npy .pt .pth .ckpt .onnx .h5 .hdf5 .keras "
                ".tflite .pb .mlmodel .joblib .pkl .pickle .msgpack"),
    ("raster-image", ".png .jpg .jpeg .gif .webp .bmp .tif .tiff .exr .hdr .tga .ico .avif "
                     ".heic .jxl .ppm .pgm .pbm .dds .qoi"),
    ("layered-image", ".ora .kra .psd .psb .xcf .clip .procreate .afphoto"),
    ("vector-image", ".svg .svgz .eps .ai .cdr .emf .wmf"),
    ("binary", ".exe .dll .so .dylib .a .lib .o .obj .wasm .elf .class .jar .whl .deb .rpm "
               ".apk .msi .dmg"),
    ("document", ".md .markdown .txt .rst .adoc .pdf .odt .doc .docx .rtf .epub .org .man "
                 ".1 .info"),
    ("config", ".yaml .yml .toml .json .cfg .ini .conf .properties .env .xml .hcl .json5 "
               ".jsonc .editorconfig"),
):
    for _suffix in _suffixes.split():
        _SUFFIX_KINDS[_suffix] = _kind

_MACHO = (b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe")


def _content_kind(head: bytes) -> str | None:
    """A kind from unambiguous magic bytes, or None."""
    if head.startswith(b"\x7fELF") or head[:4] in _MACHO:
        return "binary"
    if head.startswith(b"MZ") and len(head) >= 0x40:
        pe = int.from_bytes(head[0x3C:0x40], "little")
        if head[pe:pe + 4] == b"PE\x00\x00" or (pe >= len(head) and not _looks_like_text(head)):
            return "binary"
    if head.startswith(b"\x00asm"):
        return "binary"
    if head.startswith(b"8BPS"):
        return "layered-image"
    if head.startswith(b"gimp xcf"):
        return "layered-image"
    if head.startswith(b"PK\x03\x04") and head[30:38] == b"mimetype":
        mimetype = head[38:80]
        if mimetype.startswith((b"image/openraster", b"application/x-krita")):
            return "layered-image"
        if mimetype.startswith(b"application/vnd.oasis.opendocument"):
            return "document"
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a",
                        b"qoif", b"\x76\x2f\x31\x01")) or (
            head.startswith(b"RIFF") and head[8:12] == b"WEBP"):
        return "raster-image"
    if head.startswith(b"%PDF-"):
        return "document"
    if head.startswith((b"GGUF", b"\x93NUMPY")):
        return "weights"
    if len(head) >= 10:
        header_len = int.from_bytes(head[:8], "little")
        if 2 <= header_len < 100_000_000 and head[8:10] in (b'{"', b"{ ", b"{\n"):
            return "weights"  # safetensors: u64 header length, then a JSON object
    if head.startswith(b"PAR1"):
        return "dataset"
    if head.startswith(b"SQLite format 3\x00"):
        return "dataset"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in head):
        return "vector-image"
    return None


def _name_kind(path: str) -> str | None:
    name = PurePosixPath(path).name
    lower = name.lower()
    if lower in _BUILD_SCRIPTS:
        return "build-script"
    if lower in _ENVIRONMENT_NAMES or any(fnmatchcase(lower, g) for g in _ENVIRONMENT_GLOBS):
        return "environment"
    if lower in _TOKENIZER_NAMES:
        return "tokenizer"
    if lower.startswith("adapter_model.") or lower.startswith("adapter_config."):
        return "adapter"
    stem, dot, suffix = lower.rpartition(".")
    if not dot:
        stem, suffix = lower, ""
    suffix = f".{suffix}" if suffix else ""
    if suffix in (".py", ".ipynb", ".r", ".jl", ".sh"):
        for kind, prefixes in _SCRIPT_PREFIXES:
            if stem.startswith(prefixes):
                return kind
    if stem in _DOCUMENT_STEMS and suffix in ("", ".md", ".txt", ".rst", ".markdown"):
        return "document"
    if lower in ("model_card.md", "modelcard.md"):
        return "model-card"
    if lower.endswith((".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst")):
        return "other"
    return _SUFFIX_KINDS.get(suffix)


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is still text
        return exc.start >= len(head) - 4
    return True


#: what the format sniffer's families (:mod:`rebuildable.formats`) mean as kinds
_FAMILY_KINDS = {"layered-image": "layered-image", "vector-image": "vector-image",
                 "raster-image": "raster-image", "weights": "weights", "binary": "binary",
                 "document": "document", "data": "dataset"}


def guess_kind(path: str, head: bytes, family: str | None = None) -> str:
    """Guess an artifact's kind from its path, its first bytes and the format family
    that :func:`rebuildable.formats.sniff` found (when the caller sniffed it).

    Unambiguous magic bytes (executables, images, layered-image containers, PDF,
    GGUF, safetensors, Parquet, SVG) win over the name, so a compiled program named
    ``hello`` is a ``binary`` and a PNG saved as ``.dat`` is a ``raster-image``;
    otherwise the name decides (``train*.py`` -> ``training-code``, ``Makefile`` ->
    ``build-script``, ``*.lock`` -> ``environment``, ...). A text file with a
    ``#!`` line is ``source-code``; anything else is ``other``.
    """
    by_content = _FAMILY_KINDS.get(family) if family else None
    if by_content is None:
        by_content = _content_kind(head)
    by_name = _name_kind(path)
    if by_content is not None:
        # A name that is more specific than the content's family keeps its kind
        # (adapter weights, a tokenizer model file, an executable build script).
        if by_name in ("adapter", "tokenizer") and by_content == "weights":
            return by_name
        return by_content
    if by_name is not None:
        return by_name
    if head.startswith(b"#!") and _looks_like_text(head):
        return "source-code"
    return "other"


# -- ids ----------------------------------------------------------------------------------

_NOT_ID = re.compile(r"[^a-z0-9._-]+")


def slugify(path: str) -> str:
    """An artifact id from a path: ``src/Train Model.py`` -> ``src-train-model.py``."""
    ascii_text = path if path.isascii() else (
        unicodedata.normalize("NFKD", path).encode("ascii", "ignore").decode("ascii"))
    slug = _NOT_ID.sub("-", ascii_text.lower().replace("/", "-"))
    slug = re.sub(r"-*\.-*", ".", re.sub(r"-{2,}", "-", slug))
    slug = slug.lstrip("._-").rstrip("-")
    if len(slug) > _ID_MAX:
        slug = slug[:_ID_MAX].rstrip("._-")
    return slug or "artifact"


def unique_ids(paths: Iterable[str]) -> dict[str, str]:
    """Slug ids for ``paths`` (in order), made unique with ``-2``, ``-3``... suffixes."""
    taken: set[str] = set()
    out: dict[str, str] = {}
    for path in paths:
        base = slugify(path)
        ident = base
        n = 2
        while ident in taken:
            tail = f"-{n}"
            ident = base[:_ID_MAX - len(tail)] + tail
            n += 1
        taken.add(ident)
        out[path] = ident
    return out


# -- scanning -------------------------------------------------------------------------------

def _name_problem(path: str) -> str | None:
    """Why a path could never validate as an artifact path, or None."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return "its name is not valid UTF-8"
    if unicodedata.normalize("NFC", path) != path:
        return "its name is not in Unicode NFC (rename it)"
    if "\\" in path:
        return "its name holds a backslash (rename it)"
    if any(unicodedata.category(ch) == "Cc" for ch in path):
        return "its name holds a control character (rename it)"
    return None


def _load_ignore(release: FolderRelease) -> pathspec.GitIgnoreSpec | None:
    """``.rebuildignore`` read as the ``unlisted`` check reads it (rebuildable.ignore);
    a bad line is an error here."""
    entry = release.entries().get(IGNORE_FILE)
    if entry is None or entry.type is not EntryType.FILE:
        return None
    try:
        with release.open(IGNORE_FILE) as fh:
            raw = fh.read(MAX_IGNORE_BYTES + 1)
    except (OSError, MemberError) as exc:
        detail = exc.message if isinstance(exc, MemberError) else str(exc)
        raise DraftUsageError(f"{IGNORE_FILE} cannot be read: {detail}") from exc
    parsed = parse_ignore(raw)
    for number, message in parsed.problems:
        where = f" line {number}:" if number is not None else ""
        raise DraftUsageError(f"{IGNORE_FILE}{where} {message}")  # the first problem
    return parsed.spec


def scan(release: FolderRelease) -> tuple[list[tuple[str, int]], list[Skipped]]:
    """The regular files to list, as (path, size) sorted by path, and what was skipped."""
    ignore = _load_ignore(release)
    reserved = {*MANIFEST_NAMES, ENVELOPE_NAME, IGNORE_FILE}
    files: list[tuple[str, int]] = []
    skipped: list[Skipped] = []
    folded: dict[str, str] = {}
    vcs_noted: set[str] = set()
    for path, entry in sorted(release.entries().items()):
        top = path.split("/", 1)[0]
        if top in VCS_FOLDERS:
            if top not in vcs_noted:
                vcs_noted.add(top)
                skipped.append(Skipped(top + "/", "version-control folder"))
            continue
        if path in reserved or entry.type is EntryType.DIR:
            continue
        if ignore is not None and ignore.match_file(path):
            continue
        if entry.type is EntryType.SYMLINK:
            skipped.append(Skipped(path, "symbolic link (links never count as shipped files)"))
            continue
        if entry.type is not EntryType.FILE:
            skipped.append(Skipped(path, "not a regular file (FIFO, device or socket)"))
            continue
        problem = _name_problem(path)
        if problem is not None:
            skipped.append(Skipped(path, problem))
            continue
        key = path.casefold()
        if key in folded:
            skipped.append(Skipped(path, f"differs from {folded[key]} only by letter case"))
            continue
        folded[key] = path
        files.append((path, entry.size))
    return files, skipped


def _head(release: FolderRelease, path: str) -> bytes:
    try:
        with release.open(path) as fh:
            return fh.read(HEAD_BYTES)
    except (OSError, MemberError):
        return b""  # the hashing pass reports unreadable files


def _sniff(release: FolderRelease, path: str, size: int) -> FormatInfo:
    return sniff(partial(release.open, path), PurePosixPath(path).name, size)


# -- the draft --------------------------------------------------------------------------------

def build_draft(root: Path, *, name: str | None = None, version: str = DEFAULT_VERSION,
                license: str | None = None, algorithms: Sequence[str] = (DEFAULT_ALGORITHM,),
                workers: int = 2, progress: Progress = NO_PROGRESS) -> Draft:
    """Scan ``root``, hash every regular file and return the draft manifest.

    Raises :class:`DraftError` when a file cannot be read or there is nothing to list,
    and :class:`DraftUsageError` for a bad argument.
    """
    for alg in algorithms:
        if alg not in ALGORITHMS:
            raise DraftUsageError(f"unknown digest algorithm {alg!r}")
        if not available(alg):
            raise DraftUsageError(f"digest algorithm {alg!r} is not available here "
                            f"(pip install 'rebuildable[{alg}]')")
    if not any(ALGORITHMS[alg].strong for alg in algorithms):
        raise DraftUsageError("md5 and sha1 never pin an artifact on their own; add a strong "
                        "algorithm (--alg sha256)")
    if not version:
        raise DraftUsageError("the version must not be empty")
    release = FolderRelease(root, MANIFEST_NAME, str(root))
    files, skipped = scan(release)
    if not files:
        raise DraftError(f"{root}: no files to list (a manifest needs at least one artifact)")
    ids = unique_ids(path for path, _ in files)
    jobs = [HashJob(path, tuple(algorithms), size) for path, size in files]
    results = hash_members(release.open, jobs, workers=workers, progress=progress)
    problems = []
    for path, _ in files:
        result = results[path]
        if result.error is not None:
            problems.append(f"{path}: {result.error.message}")
        elif result.changed:
            problems.append(f"{path}: the file changed while it was being hashed")
    if problems:
        raise DraftError("cannot hash every file:\n  " + "\n  ".join(problems))
    artifacts: list[dict[str, Any]] = []
    damaged: list[Skipped] = []
    total = 0
    for path, _ in files:
        result = results[path]
        size = result.size or 0
        total += size
        info = _sniff(release, path, size)
        family = info.family if info.recognised and not info.malformed else None
        if info.malformed:
            damaged.append(Skipped(path, f"looks like {info.format or 'a known format'} but "
                                         f"is damaged: {info.problems[0]}"))
        artifacts.append({
            "id": ids[path],
            "path": path,
            "kind": guess_kind(path, _head(release, path), family),
            "digest": {alg: result.digests[alg] for alg in algorithms},
            "size": size,
        })
    data: dict[str, Any] = {
        "spec": SPEC_VERSION,
        "name": name or _default_name(root),
        "version": version,
    }
    if license:
        data["license"] = license
    data["artifacts"] = artifacts
    text = "".join(f"# {line}".rstrip() + "\n" for line in HEADER.splitlines())
    return Draft(data=data, text=text + "\n" + dump_yaml(data), skipped=skipped,
                 damaged=damaged, total_bytes=total)


def _default_name(root: Path) -> str:
    name = root.resolve().name
    return name if name else "release"


def existing_manifests(root: Path) -> list[str]:
    return [n for n in MANIFEST_NAMES if (root / n).exists() or (root / n).is_symlink()]


def check_writable(root: Path, *, force: bool = False) -> None:
    """Raise :class:`DraftUsageError` when writing the draft would clobber a manifest."""
    present = existing_manifests(root)
    others = [n for n in present if n != MANIFEST_NAME]
    if others:
        raise DraftUsageError(f"{root / others[0]} already exists; remove it to write a new "
                        f"{MANIFEST_NAME}")
    if present and not force:
        raise DraftUsageError(f"{root / MANIFEST_NAME} already exists; pass --force to "
                              "overwrite it")


def write_manifest(root: Path, text: str, *, force: bool = False) -> Path:
    """Write ``text`` as ``root/rebuild.yaml`` atomically; never overwrite without ``force``.

    A manifest under another accepted name (``rebuild.yml``, ``rebuild.json``) is never
    replaced: a second manifest would make the release ambiguous.
    """
    check_writable(root, force=force)
    target = root / MANIFEST_NAME
    fd, tmp = tempfile.mkstemp(prefix=".rebuild.yaml.", suffix=".tmp", dir=root)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def kind_counts(data: Mapping[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for artifact in data["artifacts"]:
        counts[artifact["kind"]] = counts.get(artifact["kind"], 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
