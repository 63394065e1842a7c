"""The one registry of finding codes.

Codes are part of the public interface: registries and CI scripts match on them.
Add codes; never rename or remove one. ``spec/manifest.md`` carries the same table
and a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    severity: str  # default severity: "error", "warning" or "info"
    title: str
    hint: str | None = None


_ALL: tuple[Code, ...] = (
    # -- reading the release --------------------------------------------------
    Code("release.not-found", "error", "The release path does not exist"),
    Code("release.unreadable", "error", "The release cannot be read (I/O error or unsupported file)"),
    Code("release.no-manifest", "error", "No rebuild.yaml, rebuild.yml or rebuild.json at the release root"),
    Code("release.ambiguous-manifest", "error", "More than one manifest file at the release root",
         "Keep exactly one of rebuild.yaml, rebuild.yml, rebuild.json."),
    Code("release.archive-unsafe-member", "error",
         "An archive member has an absolute, escaping or otherwise unsafe name"),
    Code("release.archive-duplicate-member", "error", "An archive holds two members with the same name"),
    Code("release.archive-link", "warning", "An archive member is a link; links never count as shipped files"),
    Code("release.archive-too-large", "error",
         "An archive member or the archive as a whole exceeds the size limits (zip bomb guard)"),
    Code("release.archive-corrupt", "error", "The archive is truncated or corrupt"),
    # -- loading the manifest -------------------------------------------------
    Code("load.syntax", "error", "The manifest is not well-formed YAML or JSON"),
    Code("load.encoding", "error", "The manifest is not valid UTF-8 or holds NUL bytes"),
    Code("load.bom", "warning", "The manifest starts with a byte order mark",
         "Save the file as UTF-8 without a BOM."),
    Code("load.duplicate-key", "error", "A mapping holds the same key twice"),
    Code("load.case-colliding-keys", "error", "Two keys of one mapping differ only in letter case"),
    Code("load.alias", "error", "YAML anchors and aliases are not allowed",
         "Write the value out in full; aliases make one document mean different things to different readers."),
    Code("load.tag", "error", "Custom or explicit YAML tags are not allowed"),
    Code("load.too-large", "error", "The manifest exceeds the size bound"),
    Code("load.too-deep", "error", "The manifest nests deeper than the depth bound"),
    Code("load.not-a-mapping", "error", "The manifest's top level is not a mapping"),
    Code("load.multiple-documents", "error", "The YAML stream holds more than one document"),
    Code("load.number-range", "error", "A number lies outside the I-JSON range (integers beyond 2^53, non-finite floats)"),
    Code("load.unquoted-string", "info",
         "A plain YAML scalar that other YAML readers would not read as a string was kept as its text",
         "Quote the value so that every YAML reader sees the same string."),
    # -- schema -----------------------------------------------------------------
    Code("schema.unsupported-spec", "error", "The manifest declares a spec version this validator does not know"),
    Code("schema.missing-field", "error", "A required field is missing"),
    Code("schema.unknown-field", "error", "A field is not defined by the spec and has no x- prefix",
         "Extension fields must start with 'x-'."),
    Code("schema.wrong-type", "error", "A field has the wrong type"),
    Code("schema.invalid-value", "error", "A field's value is not allowed by the schema"),
    # -- identifiers and references ---------------------------------------------
    Code("ids.duplicate", "error", "Two artifacts, steps or upstreams share an id"),
    Code("refs.dangling-input", "error", "A step input names no artifact (or no artifact of a declared upstream)"),
    Code("refs.dangling-output", "error", "A step output names no artifact"),
    Code("refs.dangling-environment", "error", "A step's environment names no artifact"),
    Code("refs.unknown-upstream", "error", "An UPSTREAM:ARTIFACT reference names no declared upstream"),
    Code("refs.upstream-output", "error", "A step lists an upstream artifact as an output"),
    Code("refs.multiple-producers", "error", "More than one step lists the same artifact as an output"),
    Code("refs.output-is-input", "error", "A step consumes an artifact it produces"),
    Code("refs.cycle", "error", "Steps depend on each other in a cycle"),
    Code("refs.duplicate-reference", "warning", "A step lists the same artifact twice"),
    Code("refs.equivalence-not-output", "error", "An equivalence policy names an artifact the step does not produce"),
    # -- paths --------------------------------------------------------------------
    Code("path.absolute", "error", "An artifact path is absolute or starts with a drive letter"),
    Code("path.escapes", "error", "An artifact path has a '..' segment"),
    Code("path.backslash", "error", "An artifact path holds a backslash", "Paths are POSIX: use '/'."),
    Code("path.empty-segment", "error", "An artifact path has an empty or '.' segment, or a trailing '/'"),
    Code("path.control-character", "error", "An artifact path holds NUL or another control character"),
    Code("path.too-long", "error", "An artifact path or one of its segments is too long"),
    Code("path.not-nfc", "error", "An artifact path is not in Unicode NFC", "Normalise the path to NFC."),
    Code("path.duplicate", "error", "Two artifacts name the same path"),
    Code("path.collision", "error", "Two paths differ only by letter case or Unicode normalisation"),
    Code("path.symlink", "error", "An artifact path is or passes through a symbolic link; links never count as shipped"),
    Code("path.not-regular", "error", "An artifact path is a directory, FIFO, device or socket, not a regular file"),
    Code("path.hardlink", "warning", "An artifact file has more than one hard link"),
    Code("path.reserved", "error", "An artifact path names the manifest or the signature envelope"),
    Code("path.bad-uri", "error", "An external artifact's uri is not an absolute URI"),
    # -- integrity ----------------------------------------------------------------
    Code("integrity.missing", "error", "An artifact's file is not in the release"),
    Code("integrity.size-mismatch", "error", "A file's size differs from the declared size"),
    Code("integrity.digest-mismatch", "error", "A file's digest differs from the declared digest"),
    Code("integrity.weak-only", "error", "An artifact is pinned only by md5 or sha1",
         "Add a sha256 (or stronger) digest."),
    Code("integrity.weak-algorithm", "warning", "An artifact lists an md5 or sha1 digest beside a strong one"),
    Code("integrity.unknown-algorithm", "error", "A digest algorithm name is not known"),
    Code("integrity.malformed-digest", "error",
         "A digest value is not lower-case hex of the algorithm's length"),
    Code("integrity.algorithm-unavailable", "warning",
         "A digest algorithm is known but not available here (blake3 without the blake3 package)",
         "pip install 'rebuildable[blake3]'"),
    Code("integrity.changed-while-reading", "error", "A file changed while it was being hashed"),
    Code("integrity.no-size", "info", "A shipped artifact declares no size"),
    # -- unlisted files ------------------------------------------------------------
    Code("unlisted.file", "warning", "A file in the release is not listed as an artifact",
         "List it, or add a pattern to .rebuildignore."),
    Code("unlisted.special-file", "warning", "The release holds a link, FIFO, device or socket that no artifact names"),
    Code("unlisted.bad-ignore-pattern", "error", "A .rebuildignore line is not a valid pattern"),
    # -- completeness ----------------------------------------------------------------
    Code("completeness.unpinned-source", "error",
         "An output depends on a source that is neither shipped nor pinned by a strong digest"),
    Code("completeness.missing-source", "error", "An output depends on a source file that is not in the release"),
    Code("completeness.step-without-inputs", "warning", "A step produces outputs from no declared inputs"),
    Code("completeness.step-without-outputs", "warning", "A step produces no declared outputs"),
    Code("completeness.unused-source", "info", "A source is consumed by no step"),
    Code("completeness.summary", "info", "How the outputs trace back to sources"),
    # -- licences --------------------------------------------------------------------
    Code("license.invalid", "error", "A licence is not a valid SPDX expression"),
    Code("license.unknown-id", "warning", "A licence identifier is not on the SPDX licence list",
         "Use an SPDX identifier or a LicenseRef-... reference."),
    Code("license.deprecated-id", "warning", "A licence identifier is deprecated on the SPDX licence list"),
    Code("license.missing", "warning", "An artifact has no licence and the release declares none"),
)

CODES: dict[str, Code] = {c.code: c for c in _ALL}

if len(CODES) != len(_ALL):  # pragma: no cover - guards edits to the table above
    raise RuntimeError("duplicate finding code in registry")

_ALL += (
    Code("internal.error", "error", "A check failed unexpectedly; this is a bug in rebuildable",
         "Please report it with the release that triggered it."),
)
CODES.update({c.code: c for c in _ALL if c.code not in CODES})
