"""The operator's commands: `rebuildable registry add-namespace / add-key / add-token /
revoke-token / set-threshold` and `serve`'s refusals, on SQLite and PostgreSQL: what they
print, what they store (token hashes, never tokens), and clear errors for bad input."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from rebuildable import api
from rebuildable.cli import cli
from rebuildable.registry.errors import RegistryError
from rebuildable.registry.service import Registry
from tests.support.registry import database
from tests.support.signing import key


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """``--data DIR --db URL`` of a fresh registry."""
    with database(request.param, tmp_path) as url:
        yield ["--data", str(tmp_path / "data"), "--db", url]


def _registry(where: list[str]) -> Registry:
    return api.registry(api.RegistryConfig(data=Path(where[1]), db=where[3]))


def _pem(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.pub"
    path.write_bytes(key(name).public.pem())
    return path


def test_add_namespace_prints_its_token_once_and_stores_only_a_hash(where: list[str]) -> None:
    code, out, err = run("registry", "add-namespace", "models", *where)
    assert code == 0, err
    token = out.strip()
    assert out == token + "\n"  # alone, on one line
    assert token.startswith("rbl_")
    registry = _registry(where)
    try:
        with registry.db.read() as s:
            rows = [tuple(r) for r in s.execute(text("SELECT * FROM tokens"))]
        registry.admin.authorise("models", f"Bearer {token}", "admin")  # an admin token
    finally:
        registry.close()
    assert len(rows) == 1
    stored = repr(rows)
    secret = token.split("_", 2)[2]
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    assert token not in stored
    assert secret not in stored
    if where[3].startswith("sqlite"):  # not in the file either (nor its write-ahead log)
        for f in Path(where[1]).glob("registry.db*"):
            assert secret.encode() not in f.read_bytes()
    # Another token is another secret, shown once too.
    code, out, _ = run("registry", "add-token", "models", "--scope", "publish", *where)
    assert code == 0
    assert out.strip() != token
    assert out.count("\n") == 1


def test_add_key_and_threshold(where: list[str], tmp_path: Path) -> None:
    assert run("registry", "add-namespace", "models", *where)[0] == 0
    alice = _pem(tmp_path, "alice")
    # What surrounds the PEM block is not kept: the stored key is the canonical PEM.
    alice.write_bytes(b"# alice's publishing key\n" + alice.read_bytes() + b"trailing\n")
    code, out, err = run("registry", "add-key", "models", str(alice), *where)
    assert (code, out) == (0, "")
    assert f"registered key {key('alice').public.keyid} for models" in err
    code, _, err = run("registry", "add-key", "models", str(alice), *where)
    assert code == 2
    assert "already registered" in err
    assert run("registry", "add-key", "models", str(_pem(tmp_path, "bob")), *where)[0] == 0
    assert run("registry", "set-threshold", "models", "2", *where)[0] == 0
    registry = _registry(where)
    try:
        threshold, keys = registry.admin.keys("models")
    finally:
        registry.close()
    assert threshold == 2
    assert keys == [(key("alice").public.keyid, key("alice").public.pem().decode()),
                    (key("bob").public.keyid, key("bob").public.pem().decode())]


def test_revoke_token(where: list[str]) -> None:
    for ns in ("models", "others"):
        assert run("registry", "add-namespace", ns, *where)[0] == 0
    token = run("registry", "add-token", "models", *where)[1].strip()
    other = run("registry", "add-token", "others", *where)[1].strip()
    ident = token.split("_")[1]
    # A namespace's operator names only its own tokens.
    code, _, err = run("registry", "revoke-token", "others", ident, *where)
    assert code == 2
    assert f"no token '{ident}' in 'others'" in err
    code, _, err = run("registry", "revoke-token", "models", ident, *where)
    assert code == 0, err
    assert f"revoked token {ident}" in err
    registry = _registry(where)
    try:
        with pytest.raises(RegistryError) as refused:
            registry.admin.authorise("models", f"Bearer {token}")
        assert refused.value.status == 401
        registry.admin.authorise("others", f"Bearer {other}")  # untouched
    finally:
        registry.close()


@pytest.mark.parametrize(("args", "message"), [
    (("add-namespace", "Models"), "namespace 'Models': use 1-64 of a-z"),
    (("add-namespace", "../x"), "namespace '../x': use 1-64 of a-z"),
    (("add-namespace", "a\x1b[31mb"), "namespace 'a\\x1b[31mb'"),
    (("add-namespace", "x" * 65), "use 1-64 of a-z"),
    (("add-key", "nowhere", "PEM"), "no namespace 'nowhere'"),
    (("add-key", "models", "JUNK"), "JUNK: not a PEM file"),
    (("add-key", "models", "PRIVATE"), "holds a PRIVATE key"),
    (("add-key", "models", "HUGE"), "larger than 65536 bytes"),
    (("add-token", "nowhere"), "no namespace 'nowhere'"),
    (("revoke-token", "models", "0123456789abcdef"), "no token"),
    (("set-threshold", "nowhere", "1"), "no namespace 'nowhere'"),
])
def test_bad_input_is_one_clear_line(tmp_path: Path, args: tuple[str, ...],
                                     message: str) -> None:
    where = ["--data", str(tmp_path / "data")]
    assert run("registry", "add-namespace", "models", *where)[0] == 0
    (tmp_path / "junk.pem").write_bytes(b"not a key\n")
    (tmp_path / "huge.pem").write_bytes(b"-" * 70000)
    private = tmp_path / "private.pem"
    private.write_bytes(key("alice").pem())
    files = {"PEM": str(_pem(tmp_path, "alice")), "JUNK": str(tmp_path / "junk.pem"),
             "PRIVATE": str(private), "HUGE": str(tmp_path / "huge.pem")}
    code, out, err = run("registry", *(files.get(a, a) for a in args), *where)
    assert code == 2
    assert out == ""
    assert message in err.replace(str(tmp_path) + "/", "").replace("junk.pem", "JUNK")
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--db", "mysql://root@127.0.0.1/x", "give sqlite:///PATH or postgresql://"),
    ("--db", "nonsense://x", "give sqlite:///PATH or postgresql://"),
    ("--db", "sqlite://", "give sqlite:///PATH"),  # in memory: no other process could share it
    ("--db", "postgresql://u@[::1/x", "database URL"),
    ("--db", "postgresql://postgres@127.0.0.1:1/x", "database postgresql+psycopg://"),
    ("--store", "ftp://host/folder", "give a folder, file:///PATH or s3://BUCKET/PREFIX"),
    ("--store", "s3://", "no bucket name"),
])
def test_bad_database_or_store_is_a_usage_error(tmp_path: Path, option: str, value: str,
                                                message: str) -> None:
    for command in (["registry", "gc"], ["serve", "--port", "9"]):
        code, _, err = run(*command, "--data", str(tmp_path / "data"), option, value)
        assert code == 2, (command, err)
        assert message in err, (command, err)
        assert "Traceback" not in err
        assert "internal error" not in err
    assert not (tmp_path / "ftp:").exists()


def test_serve_without_the_registry_extra_says_what_to_install(tmp_path: Path) -> None:
    """A plain install: `serve` names the extra instead of failing on an import."""
    probe = ("import sys; sys.modules['fastapi'] = None\n"  # what find_spec sees when absent
             "sys.argv = ['rebuildable', 'serve', '--data', sys.argv[1]]\n"
             "from rebuildable.cli import main; main()")
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "data")],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 2, done.stderr
    assert "pip install 'rebuildable[registry]'" in done.stderr
    assert "fastapi is missing" in done.stderr
    assert not (tmp_path / "data").exists()
