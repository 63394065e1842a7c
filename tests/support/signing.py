"""Shared builders for the signature tests: keys made once per session, signed releases."""

from __future__ import annotations

import base64
import json
from functools import cache
from pathlib import Path
from typing import Any

from rebuildable.api import sign as sign_release
from rebuildable.api import verify
from rebuildable.context import Options
from rebuildable.report import Report
from rebuildable.signing.dsse import IN_TOTO_PAYLOAD_TYPE, Envelope
from rebuildable.signing.keys import PrivateKey, generate
from tests.support import make_release

FILES = {"src/train.py": b"print('train')\n", "model/weights.bin": b"\x00\x01\x02weights",
         "config.yaml": b"lr: 0.1\n"}
STEPS = [{"id": "train", "run": "python src/train.py",
          "inputs": ["src-train.py", "config.yaml"], "outputs": ["model-weights.bin"]}]


@cache
def key(name: str, kind: str = "ed25519") -> PrivateKey:
    """One key per (name, kind) for the whole session (RSA generation is slow)."""
    del name
    return generate(kind)


def release(root: Path, **fields: Any) -> Path:
    return make_release(root, FILES, STEPS, kinds={"src/train.py": "training-code",
                                                     "model/weights.bin": "weights",
                                                     "config.yaml": "config"}, **fields)


def signed_release(root: Path, *keys: PrivateKey, **fields: Any) -> Path:
    release(root, **fields)
    for k in keys or (key("alice"),):
        sign_release(root, k)
    return root


def verify_with(root: Path, *keys: PrivateKey, threshold: int | None = None,
                **options: Any) -> Report:
    return verify(root, Options(keys=tuple(k.public.pem() for k in keys), threshold=threshold,
                                **options))


def read_envelope(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / "rebuild.dsse.json").read_text("utf-8"))
    return data


def write_envelope(root: Path, data: dict[str, Any] | bytes) -> None:
    raw = data if isinstance(data, bytes) else json.dumps(data, indent=2).encode()
    (root / "rebuild.dsse.json").write_bytes(raw)


def signed_envelope(payload: bytes, *keys: PrivateKey,
                    payload_type: str = IN_TOTO_PAYLOAD_TYPE) -> dict[str, Any]:
    env = Envelope(payload_type, payload)
    for k in keys:
        env = env.add_signature(k)
    return env.to_dict()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
