"""Locked environments ([REB-24]): a step's pylock.toml or hashed requirements become a
fresh virtual environment, built in the sandbox from a wheel folder, first on PATH."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import pytest

from rebuildable.api import rebuild
from rebuildable.findings import Severity
from rebuildable.rebuild import RebuildOptions
from rebuildable.rebuild.environment import LockError, lock_kind, parse_lock
from tests.support import make_release

RUN = "python3 -c 'import rbtoy, sys; print(rbtoy.VALUE, sys.prefix != sys.base_prefix)' > out.txt"


def make_wheel(folder: Path, value: int = 42, extra: dict[str, bytes] | None = None) -> Path:
    """A pure-Python wheel, written by hand: no index, no build backend."""
    folder.mkdir(parents=True, exist_ok=True)
    dist = "rbtoy-1.0.dist-info"
    files = {**(extra or {}), "rbtoy/__init__.py": f"VALUE = {value}\n".encode(),
             f"{dist}/METADATA": b"Metadata-Version: 2.1\nName: rbtoy\nVersion: 1.0\n",
             f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\n"
                              b"Tag: py3-none-any\n"}
    record = "".join(
        f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}\n"
        for name, data in files.items()) + f"{dist}/RECORD,,\n"
    wheel = folder / "rbtoy-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, data in {**files, f"{dist}/RECORD": record.encode()}.items():
            zf.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data)
    return wheel


def pylock(wheel: Path) -> bytes:
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    return (f'lock-version = "1.0"\ncreated-by = "hand"\n\n[[packages]]\nname = "rbtoy"\n'
            f'version = "1.0"\n\n[[packages.wheels]]\nname = "{wheel.name}"\n'
            f'hashes = {{sha256 = "{digest}"}}\n').encode()


def release(root: Path, lock_name: str, lock: bytes) -> Path:
    return make_release(root, {lock_name: lock, "out.txt": b"42 True\n"},
                        [{"id": "use", "run": RUN, "inputs": ["lock"], "outputs": ["out"],
                          "environment": "lock"}],
                        ids={lock_name: "lock", "out.txt": "out"},
                        kinds={lock_name: "environment"})


def test_a_pylock_is_built_from_the_wheel_folder_and_reported(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "wheels")
    rel = release(tmp_path / "rel", "pylock.toml", pylock(wheel))
    report = rebuild(rel, RebuildOptions(timeout=120, wheels=tmp_path / "wheels"))
    assert report.ok, [f.message for f in report.findings]
    env = report.to_dict()["rebuild"]["steps"][0]["environment"]
    assert env["lock"] == "pylock"
    assert env["source"].startswith("wheels:")
    assert env["packages"][0]["name"] == "rbtoy"
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert env["packages"][0]["hashes"] == [f"sha256:{digest}"]
    assert {"name": "rbtoy", "version": "1.0"} in env["installed"]
    assert env["interpreter"].startswith("CPython ")
    assert env["platform"]


def test_hashed_requirements_work_too(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "wheels")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    rel = release(tmp_path / "rel", "requirements.txt",
                  f"rbtoy==1.0 --hash=sha256:{digest}\n".encode())
    report = rebuild(rel, RebuildOptions(timeout=120, wheels=tmp_path / "wheels"))
    assert report.ok, [f.message for f in report.findings]


def test_a_wheel_that_does_not_match_the_lock_is_refused(tmp_path: Path) -> None:
    """Hostile asset: the wheel folder holds other bytes under the locked name."""
    wheel = make_wheel(tmp_path / "wheels")
    lock = pylock(wheel)
    make_wheel(tmp_path / "wheels", value=666)  # same file name, other bytes
    rel = release(tmp_path / "rel", "pylock.toml", lock)
    report = rebuild(rel, RebuildOptions(timeout=120, wheels=tmp_path / "wheels"))
    assert {f.code for f in report.findings if f.severity is Severity.ERROR} == {
        "rebuild.environment-failed"}


def test_without_wheels_or_network_the_environment_cannot_be_built(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "wheels")
    rel = release(tmp_path / "rel", "pylock.toml", pylock(wheel))
    report = rebuild(rel, RebuildOptions(timeout=120))
    failed = next(f for f in report.findings if f.code == "rebuild.environment-failed")
    assert failed.hint is not None
    assert "--wheels" in failed.hint


def test_the_environment_holds_nothing_of_the_callers_python(tmp_path: Path) -> None:
    """numpy is installed for the caller's python3 (the test extra); the locked
    environment, which does not lock it, must not see it."""
    pytest.importorskip("numpy")
    wheel = make_wheel(tmp_path / "wheels")
    rel = make_release(tmp_path / "rel", {"pylock.toml": pylock(wheel), "out.txt": b"no\n"},
                       [{"id": "use", "inputs": ["lock"], "outputs": ["out"],
                         "environment": "lock",
                         "run": "python3 -c 'import importlib.util as u; "
                                "print(\"yes\" if u.find_spec(\"numpy\") else \"no\")' > out.txt"}],
                       ids={"pylock.toml": "lock", "out.txt": "out"})
    report = rebuild(rel, RebuildOptions(timeout=120, wheels=tmp_path / "wheels"))
    assert report.ok, [f.message for f in report.findings]


@pytest.mark.parametrize(("text", "why"), [
    ("rbtoy==1.0\n", "without --hash"),
    ("rbtoy>=1.0 --hash=sha256:00\n", "not pinned"),
    ("--index-url https://x\nrbtoy==1.0 --hash=sha256:00\n", "option lines"),
])
def test_requirements_that_are_no_lock_are_refused(text: str, why: str) -> None:
    with pytest.raises(LockError, match=why):
        parse_lock("requirements", text.encode())


def test_what_counts_as_a_lock() -> None:
    assert lock_kind("env/pylock.toml", b"") == "pylock"
    assert lock_kind("pylock.cpu.toml", b"") == "pylock"
    assert lock_kind("requirements.txt", b"x==1 --hash=sha256:00") == "requirements"
    assert lock_kind("environment.txt", b"python>=3.10\n") is None
