"""DSSE: PAE exactly per the protocol, base64 variants, strict envelope parsing."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rebuildable.signing.dsse import (
    IN_TOTO_PAYLOAD_TYPE,
    Envelope,
    EnvelopeError,
    Signature,
    b64decode,
    b64encode,
    pae,
    parse_envelope,
)


def test_pae_matches_the_dsse_protocol_example() -> None:
    # https://github.com/secure-systems-lab/dsse/blob/master/protocol.md (Test cases)
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world")


def test_pae_of_empty_type_and_body() -> None:
    assert pae("", b"") == b"DSSEv1 0  0 "


def test_pae_counts_utf8_bytes_not_characters_in_the_payload_type() -> None:
    # "é" is one character but two UTF-8 bytes; "🙂" is one character, four bytes.
    assert pae("tÿpé/🙂", b"x") == "DSSEv1 11 tÿpé/🙂 1 x".encode()


def test_pae_counts_bytes_of_a_non_ascii_body() -> None:
    body = "żółw".encode()
    assert pae("t", body) == b"DSSEv1 1 t 7 " + body  # 4 characters, 7 bytes


@settings(max_examples=60)
@given(st.text(max_size=30), st.binary(max_size=64))
def test_pae_lengths_are_byte_lengths(payload_type: str, body: bytes) -> None:
    out = pae(payload_type, body)
    t = payload_type.encode()
    assert out == b"DSSEv1 " + str(len(t)).encode() + b" " + t + b" " + str(len(body)).encode() \
        + b" " + body


@settings(max_examples=80)
@given(st.binary(max_size=80))
def test_every_base64_spelling_decodes_to_the_same_bytes(data: bytes) -> None:
    std = base64.b64encode(data).decode()
    url = base64.urlsafe_b64encode(data).decode()
    for text in (std, std.rstrip("="), url, url.rstrip("=")):
        assert b64decode(text) == data
    assert b64encode(data) == std  # writers: standard alphabet, padded


@pytest.mark.parametrize("text", [
    "aGVsbG8gd29ybGQ=\n",   # whitespace
    "aGVs bG8=",            # inner space
    "aGVsbG8-d29y+GQ=",     # URL-safe and standard alphabets mixed in one value
    "aGVsbG8=====",         # too much padding
    "aGVsbG8gd29ybGQ==",    # wrong padding for the length
    "a",                    # impossible length
    "aGVsbG8*",             # foreign character
])
def test_malformed_base64_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        b64decode(text)


def test_url_safe_base64_payload_and_signature_are_accepted_on_input() -> None:
    payload = b"\xfb\xff\xfe payload with bytes that differ between alphabets"
    sig = b"\xfb\xef\xff" * 20
    raw = json.dumps({
        "payloadType": IN_TOTO_PAYLOAD_TYPE,
        "payload": base64.urlsafe_b64encode(payload).decode().rstrip("="),
        "signatures": [{"keyid": "", "sig": base64.urlsafe_b64encode(sig).decode()}],
    }).encode()
    env = parse_envelope(raw)
    assert env.payload == payload
    assert env.signatures == (Signature(sig, None),)


def test_envelope_round_trips_with_standard_padded_base64() -> None:
    env = Envelope(IN_TOTO_PAYLOAD_TYPE, b"{}", (Signature(b"\xff\xfe", "k1"),))
    data = json.loads(env.to_json())
    assert data == {"payloadType": IN_TOTO_PAYLOAD_TYPE, "payload": "e30=",
                    "signatures": [{"keyid": "k1", "sig": "//4="}]}
    assert parse_envelope(env.to_json()) == env


@pytest.mark.parametrize(("raw", "pointer"), [
    (b"not json at all", None),
    (b"\xff\xfe{}", None),
    (b"[]", None),
    (b'{"payload": "e30=", "signatures": []}', "/payloadType"),
    (b'{"payloadType": 7, "payload": "e30=", "signatures": []}', "/payloadType"),
    (b'{"payloadType": "t", "signatures": []}', "/payload"),
    (b'{"payloadType": "t", "payload": "e30", "signatures": {}}', "/signatures"),
    (b'{"payloadType": "t", "payload": "e30", "signatures": ["x"]}', "/signatures/0"),
    (b'{"payloadType": "t", "payload": "e30", "signatures": [{"keyid": "a"}]}',
     "/signatures/0/sig"),
    (b'{"payloadType": "t", "payload": "e30", "signatures": [{"keyid": 1, "sig": "AA=="}]}',
     "/signatures/0/keyid"),
    (b'{"payloadType": "t", "payload": "e3!0", "signatures": []}', "/payload"),
])
def test_garbage_envelopes_are_refused_with_a_location(raw: bytes, pointer: str | None) -> None:
    with pytest.raises(EnvelopeError) as info:
        parse_envelope(raw)
    assert info.value.location is not None
    assert info.value.location.file == "rebuild.dsse.json"
    if pointer is not None:
        assert info.value.location.pointer == pointer


def test_duplicate_keys_in_the_envelope_json_are_refused_with_their_line() -> None:
    raw = (b'{\n "payloadType": "application/vnd.in-toto+json",\n "payload": "e30=",\n'
           b' "payload": "W10=",\n "signatures": []\n}')
    with pytest.raises(EnvelopeError) as info:
        parse_envelope(raw)
    assert "duplicate" in info.value.message
    assert info.value.location is not None
    assert info.value.location.line == 4


def test_envelope_with_no_signatures_parses_to_an_empty_tuple() -> None:
    env = parse_envelope(b'{"payloadType": "t", "payload": "", "signatures": []}')
    assert env.signatures == ()
    assert env.payload == b""


def test_unknown_envelope_fields_are_ignored_as_dsse_allows() -> None:
    env = parse_envelope(b'{"payloadType": "t", "payload": "e30=", "x": 1, '
                         b'"signatures": [{"sig": "AA==", "cert": "..."}]}')
    assert env.signatures == (Signature(b"\x00", None),)


def test_envelope_with_a_flood_of_signatures_is_refused_before_any_verification() -> None:
    from rebuildable.signing.dsse import MAX_SIGNATURES

    sigs = [{"sig": "AA=="}] * (MAX_SIGNATURES + 1)
    raw = json.dumps({"payloadType": "t", "payload": "", "signatures": sigs}).encode()
    with pytest.raises(EnvelopeError, match="at most"):
        parse_envelope(raw)
