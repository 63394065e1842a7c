"""Every registered finding code is expected by at least one conformance vector.

A code no vector expects is behaviour a second implementation can only guess. The few
codes that no vector can expect are listed in EXEMPT, each with the reason; the list is
documented in spec/conformance/README.md and must not grow without one.
"""

from __future__ import annotations

from rebuildable.codes import CODES
from tests.conformance.harness import load_vector, remote_vector_dirs, vector_dirs

#: code -> why no vector can expect it
EXEMPT: dict[str, str] = {
    "internal.error": "reports a bug in the validator itself: a conforming validator "
                      "never emits it, for any input",
    "sig.not-verified": "a safety net (signatures.md, SIG-7a): reported only when a "
                        "verification fails without any more specific error, which a "
                        "conforming verifier never lets happen",
    "rebuild.isolation-unavailable": "depends on the machine, not on the release: reported "
                                     "when the sandbox a rebuild asks for does not work "
                                     "here (no bwrap, no user namespaces)",
    "rebuild.release-modified": "needs a step that writes the release it was rebuilt from, "
                                "under isolation none: it would rewrite the vector's own "
                                "files, and only an absolute path, which a vector cannot "
                                "hold, reaches them; tests/unit/rebuildable/rebuild/"
                                "test_no_false_pass.py builds such a release at test time",
    "integrity.cached": "tool behaviour, not a rule of the standard (tool-manual.md, "
                        "digest cache): needs a previous run's cache, which a vector "
                        "cannot hold; tests/unit/rebuildable/test_digest_cache.py",
    "integrity.cache-ignored": "tool behaviour (tool-manual.md, digest cache): a cache "
                               "file a vector cannot hold; tested in "
                               "tests/unit/rebuildable/test_digest_cache.py",
    "sig.keyless-verified": "needs a Sigstore bundle over the vector's own manifest Statement "
                            "whose certificate Fulcio issued to a real OIDC identity: Fulcio "
                            "issues one only online, to a live OIDC token, so no generator "
                            "can make it offline, and every real bundle signs another "
                            "payload. tests/unit/rebuildable/signing/test_keyless.py checks "
                            "real corpus bundles and the release-level finding instead",
}


#: codes registered by work still under way, whose vectors its owner adds; not an
#: exemption: each entry names who and why, and the list must shrink to nothing
PENDING: dict[str, str] = {
}


def _expected() -> set[str]:
    out: set[str] = set()
    for folder in [*vector_dirs(), *remote_vector_dirs()]:
        expect = load_vector(folder)["expect"]
        out.update(expect["codes"])
        out.update(entry["code"] for entry in expect.get("findings", [])
                   if entry.get("count", 1) > 0)
    return out


def test_every_code_has_a_vector() -> None:
    missing = sorted(set(CODES) - _expected() - set(EXEMPT) - set(PENDING))
    assert not missing, f"codes no vector expects (add one, see spec/README.md): {missing}"


def test_exemptions_are_registered_and_still_needed() -> None:
    assert set(EXEMPT) | set(PENDING) <= set(CODES)
    assert not (set(EXEMPT) | set(PENDING)) & _expected(), (
        "an exempt or pending code now has a vector: drop it from the list")
