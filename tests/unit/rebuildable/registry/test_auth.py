"""Owner tokens: random, stored as hashes, compared in constant time whether or not the
token's id exists (so timing tells nothing), scoped and revocable."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import pytest

from rebuildable.registry import auth
from rebuildable.registry.admin import Admin
from rebuildable.registry.db import Database
from rebuildable.registry.errors import RegistryError


@pytest.fixture
def admin(tmp_path: Path) -> Iterator[Admin]:
    db = Database.open(f"sqlite:///{tmp_path / 'registry.db'}")
    db.migrate()
    try:
        yield Admin(db)
    finally:
        db.close()


def test_tokens_are_random_and_stored_as_hashes() -> None:
    made = [auth.new_token() for _ in range(50)]
    assert len({text for _, text, _ in made}) == 50
    for ident, text, digest in made:
        assert auth.parse_token(text) == ident
        assert digest == hashlib.sha256(text.encode()).hexdigest()
        assert len(text.split("_", 2)[2]) == 43  # 32 random bytes


def test_every_check_is_one_constant_time_comparison(admin: Admin,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    token = admin.add_namespace("models")
    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    admin.authorise("models", f"Bearer {token}")
    unknown = "rbl_" + "0" * 16 + "_" + token.split("_", 2)[2]
    for text in (token[:-1] + ("A" if token[-1] != "A" else "B"), unknown, "garbage", ""):
        with pytest.raises(RegistryError) as refused:
            admin.authorise("models", f"Bearer {text}")
        assert refused.value.status == 401
    # One comparison of two sha256 hex digests each time, found id or not.
    assert len(calls) == 5
    assert all(len(a) == len(b) == 64 for a, b in calls)


def test_scopes_and_revocation(admin: Admin) -> None:
    owner = admin.add_namespace("models")
    publisher = admin.add_token("models", "publish")
    admin.authorise("models", f"Bearer {publisher}")
    with pytest.raises(RegistryError) as refused:
        admin.authorise("models", f"Bearer {publisher}", "admin")
    assert (refused.value.status, refused.value.code) == (403, "forbidden")
    admin.authorise("models", f"Bearer {owner}", "admin")
    admin.revoke_token("models", publisher.split("_")[1])
    with pytest.raises(RegistryError) as refused:
        admin.authorise("models", f"Bearer {publisher}")
    assert refused.value.status == 401
