"""Default values that several layers name (the CLI shows them in help, the core uses
them): one definition each."""

from __future__ import annotations

#: the digest algorithm used when the caller names none
DEFAULT_ALGORITHM = "sha256"
#: what a draft is written as, and the first name looked for in a release
MANIFEST_NAME = "rebuild.yaml"
#: the version a draft gets when the caller names none
DEFAULT_VERSION = "0.1.0"
#: a rebuild step's time limit when the caller names none (seconds)
DEFAULT_TIMEOUT = 600.0
#: a rebuilt output larger than this (bytes) is refused, not copied or compared
DEFAULT_MAX_OUTPUT_SIZE = 64 * 1024**3
#: SLSA ``runDetails.builder.id`` when the caller names none
DEFAULT_BUILDER_ID = "https://rebuildable.dev/builders/declared-manifest/v0.1"
