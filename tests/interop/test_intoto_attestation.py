"""`export --to in-toto` and `--to slsa` read by in-toto's own attestation library
(in-toto/attestation's Python bindings): the Statement v1 parses strictly into its protobuf
and passes its validator (type, subjects each with a digest, predicateType, predicate), and
the SLSA predicate parses strictly as SLSA Provenance v1 (no unknown or mistyped field).

securesystemslib (tests/interop/test_sslib.py, test_slsa_signed.py) checks the envelope
and its signature; this checks what is inside. The library comes with model-signing (the
test extra), which builds on it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from rebuildable import api
from tests.support import EXAMPLE_NAMES, EXAMPLES

json_format = pytest.importorskip("google.protobuf.json_format")
statement_pb2 = pytest.importorskip("in_toto_attestation.v1.statement_pb2")
statement = pytest.importorskip("in_toto_attestation.v1.statement")
provenance_pb2 = pytest.importorskip("in_toto_attestation.predicates.provenance.v1.provenance_pb2")


def _statement(document: dict[str, Any]) -> Any:
    """Parse strictly (an unknown field is an error) and run the library's validator."""
    proto = json_format.Parse(json.dumps(document), statement_pb2.Statement())
    statement.Statement.copy_from_pb(proto).validate()
    return proto


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_in_toto_statement_parses_and_validates(example: str) -> None:
    result = api.export(EXAMPLES / example, "in-toto")
    assert result.document is not None, result.error
    proto = _statement(result.document)
    assert len(proto.subject) == len(result.document["subject"])
    assert all(s.digest for s in proto.subject)


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_slsa_provenance_parses_as_provenance_v1(example: str) -> None:
    result = api.export(EXAMPLES / example, "slsa")
    assert result.document is not None, result.error
    proto = _statement(result.document)
    assert proto.predicate_type == "https://slsa.dev/provenance/v1"
    provenance = json_format.Parse(json.dumps(result.document["predicate"]),
                                   provenance_pb2.Provenance())
    assert provenance.build_definition.build_type
    assert provenance.run_details.builder.id
    for dep in provenance.build_definition.resolved_dependencies:
        assert dep.digest or dep.uri, dep


def test_the_library_is_not_a_rubber_stamp() -> None:
    """A statement with a misspelt field, one without subjects, and a provenance with a
    field of the wrong type are refused."""
    document = api.export(EXAMPLES / "software-hello", "slsa").document
    assert document is not None
    misspelt = {**document, "predicatetype": document["predicateType"]}
    with pytest.raises(json_format.ParseError):
        _statement(misspelt)
    with pytest.raises(ValueError, match="subject"):
        _statement({**document, "subject": []})
    wrong = json.loads(json.dumps(document["predicate"]))
    wrong["runDetails"]["builder"]["id"] = 7
    with pytest.raises(json_format.ParseError):
        json_format.Parse(json.dumps(wrong), provenance_pb2.Provenance())
