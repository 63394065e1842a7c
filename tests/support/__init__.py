"""Helpers shared by the tests: release builders, the corpus, finding codes.

Import from here (``from tests.support import codes, make_release``); the topical modules
(``hostile``, ``signing``, ``formats_build``, ``render_samples``, ``strategies``) are imported
by name where they are needed.
"""

from tests.support.corpus import CORPUS, corpus_dir, corpus_file, corpus_required, require_corpus
from tests.support.findings import PROBLEMS, codes
from tests.support.paths import EXAMPLE_NAMES, EXAMPLES, ROOT, SPEC, VECTORS
from tests.support.releases import (
    artifact_id,
    make_release,
    read_manifest,
    sha256_hex,
    write_manifest,
)

__all__ = ["CORPUS", "EXAMPLES", "EXAMPLE_NAMES", "PROBLEMS", "ROOT", "SPEC", "VECTORS",
           "artifact_id", "codes", "corpus_dir", "corpus_file", "corpus_required",
           "make_release", "read_manifest", "require_corpus", "sha256_hex", "write_manifest"]
