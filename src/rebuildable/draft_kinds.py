"""Guessing an artifact's kind (spec/manifest.md's vocabulary) from its path and first
bytes: what ``rebuildable init`` writes into a draft, for a person to review."""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import PurePosixPath

from rebuildable.locks import python_lock_kind

__all__ = ["guess_kind"]


_BUILD_SCRIPTS = frozenset({
    "makefile", "gnumakefile", "build.sh", "setup.py", "setup.cfg", "pyproject.toml",
    "cmakelists.txt", "meson.build", "build.gradle", "build.gradle.kts", "pom.xml",
    "justfile", "snakefile", "sconstruct", "build.zig", "cargo.toml", "package.json",
    "makefile.am", "configure.ac", "build.py", "noxfile.py", "tox.ini", "dvc.yaml",
})
_ENVIRONMENT_NAMES = frozenset({
    "environment.yml", "environment.yaml", "pipfile", "dockerfile", "containerfile",
    "go.sum", "flake.lock", "conda-lock.yml", "conda-lock.yaml", "requirements.in",
    "constraints.txt", "apt.txt", "runtime.txt", "package-lock.json", "pnpm-lock.yaml",
    "yarn.lock", "npm-shrinkwrap.json", "bun.lock", "gemfile.lock", "composer.lock",
})
# locks by name: uv.lock, poetry.lock, Pipfile.lock, pdm.lock, pixi.lock, Cargo.lock (*.lock),
# conda-lock's multi-platform and per-platform files, requirements files of every flavour
_ENVIRONMENT_GLOBS = ("*.lock", "requirements*.txt", "*.lock.yml", "*.lock.yaml",
                      "*.conda-lock.yml", "*.conda-lock.yaml",
                      "requirements*.in")
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


def _is_lock(lower: str, head: bytes) -> bool:
    """A Python lock (PEP 751 ``pylock.toml``, or a ``.txt`` of hash-pinned requirements,
    whatever its name) is what a rebuild materialises ([REB-24]): an ``environment``."""
    if python_lock_kind(lower, head) is not None:
        return True
    return lower.endswith(".txt") and b"--require-hashes" in head


def _name_kind(path: str, head: bytes = b"") -> str | None:
    name = PurePosixPath(path).name
    lower = name.lower()
    if lower in _BUILD_SCRIPTS:
        return "build-script"
    if (lower in _ENVIRONMENT_NAMES or any(fnmatchcase(lower, g) for g in _ENVIRONMENT_GLOBS)
            or _is_lock(lower, head)):
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
    ``build-script``, ``*.lock``, ``pylock.toml`` or a ``.txt`` of ``--hash``-pinned
    requirements -> ``environment``, ...). A text file with a
    ``#!`` line is ``source-code``; anything else is ``other``.
    """
    by_content = _FAMILY_KINDS.get(family) if family else None
    if by_content is None:
        by_content = _content_kind(head)
    by_name = _name_kind(path, head)
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
