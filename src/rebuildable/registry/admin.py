"""Operator and owner actions: namespaces, keys, thresholds, tokens; and the check of a
request's bearer token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rebuildable import api
from rebuildable.registry import auth
from rebuildable.registry.db import Database
from rebuildable.registry.errors import RegistryError
from rebuildable.registry.models import Key, Namespace, Token
from rebuildable.registry.names import valid_namespace

__all__ = ["Admin", "now"]


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def namespace_row(session: Session, name: str) -> Namespace:
    row = session.scalars(select(Namespace).where(Namespace.name == name)).first()
    if row is None:
        raise RegistryError(404, "not-found", f"no namespace {name!r}")
    return row


@dataclass
class Admin:
    db: Database

    def add_namespace(self, name: str, threshold: int = 1) -> str:
        """Create a namespace; return its first (admin) token, which is never shown again."""
        if not valid_namespace(name):
            raise RegistryError(400, "bad-request",
                                f"namespace {name[:80]!r}: use 1-64 of a-z, 0-9 and '-', "
                                "starting and ending with a letter or digit")
        if threshold < 1:
            raise RegistryError(400, "bad-request", "the threshold must be at least 1")
        with self.db.write() as s:
            ns = Namespace(name=name, threshold=threshold, created_at=now())
            s.add(ns)
            try:
                s.flush()
            except IntegrityError as exc:
                raise RegistryError(409, "exists", f"namespace {name!r} exists") from exc
            text = self._new_token(s, ns, "admin")
            s.commit()
        return text

    def add_key(self, namespace: str, pem: bytes, source: str = "the key") -> str:
        """Register a publisher's public key (stored as its canonical PEM, whatever
        surrounded the block); return its key id."""
        try:
            keyid, canonical = api.public_key(pem, source)
        except api.BadKeyError as exc:
            raise RegistryError(400, "bad-key", str(exc)) from exc
        with self.db.write() as s:
            ns = namespace_row(s, namespace)
            s.add(Key(namespace_id=ns.id, keyid=keyid, pem=canonical.decode("ascii"),
                      created_at=now()))
            try:
                s.commit()
            except IntegrityError as exc:
                raise RegistryError(409, "exists",
                                    f"key {keyid} is already registered for {namespace!r}") from exc
        return keyid

    def set_threshold(self, namespace: str, threshold: int) -> None:
        if threshold < 1:
            raise RegistryError(400, "bad-request", "the threshold must be at least 1")
        with self.db.write() as s:
            namespace_row(s, namespace).threshold = threshold
            s.commit()

    def add_token(self, namespace: str, scope: str) -> str:
        if scope not in auth.SCOPES:
            raise RegistryError(400, "bad-request", f"scope must be one of {auth.SCOPES}")
        with self.db.write() as s:
            text = self._new_token(s, namespace_row(s, namespace), scope)
            s.commit()
        return text

    def revoke_token(self, namespace: str, token_id: str) -> None:
        with self.db.write() as s:
            ns = namespace_row(s, namespace)
            row = s.get(Token, token_id)
            if row is None or row.namespace_id != ns.id:
                raise RegistryError(404, "not-found",
                                    f"no token {token_id[:40]!r} in {namespace!r}")
            if row.revoked_at is None:
                row.revoked_at = now()
            s.commit()

    def keys(self, namespace: str) -> tuple[int, list[tuple[str, str]]]:
        """The namespace's threshold and (key id, PEM) pairs."""
        with self.db.read() as s:
            ns = namespace_row(s, namespace)
            rows = s.scalars(select(Key).where(Key.namespace_id == ns.id).order_by(Key.id))
            return ns.threshold, [(k.keyid, k.pem) for k in rows]

    def authorise(self, namespace: str, header: str | None, scope: str = "publish") -> None:
        """Raise 401 for no or a bad token, 403 for a token of another namespace (or one
        whose scope does not cover ``scope``)."""
        scheme, _, text = (header or "").strip().partition(" ")
        if scheme.lower() != "bearer":  # the scheme is case-insensitive (RFC 9110 11.1)
            raise RegistryError(401, "unauthorised", "send Authorization: Bearer TOKEN")
        text = text.strip()
        ident = auth.parse_token(text)
        with self.db.read() as s:
            row = s.get(Token, ident) if ident else None
            # Hash and compare even for an unknown id, so timing tells nothing.
            good = auth.matches(text, row.secret_hash if row else "0" * 64)
            if row is None or not good or row.revoked_at is not None:
                raise RegistryError(401, "unauthorised", "the token is not valid")
            ns = s.get(Namespace, row.namespace_id)
        if ns is None or ns.name != namespace:
            raise RegistryError(403, "forbidden", f"the token is not one of {namespace!r}")
        if scope == "admin" and row.scope != "admin":
            raise RegistryError(403, "forbidden", "this needs an admin token")

    @staticmethod
    def _new_token(session: Session, ns: Namespace, scope: str) -> str:
        ident, text, digest = auth.new_token()
        session.add(Token(id=ident, namespace_id=ns.id, secret_hash=digest, scope=scope,
                          created_at=now()))
        return text
