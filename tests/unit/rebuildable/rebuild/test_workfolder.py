"""Cleaning up after a hostile step: links never followed, no recursion per level, and
the listing of what a step left bounded."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from rebuildable.api import rebuild
from rebuildable.rebuild import RebuildOptions, run
from rebuildable.rebuild.workfolder import list_files, remove_tree
from tests.support.hostile_steps import deep_folder_step, many_files_step


def _nest(root: Path, depth: int) -> int:
    """``depth`` folders ``d`` one in another below ``root``; a descriptor of the deepest
    (paths that long are beyond PATH_MAX, so made through descriptors)."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(depth):
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = inner
    return fd


@pytest.fixture
def outside() -> Iterator[Path]:
    """A folder outside the tree, readable by anyone, with a file and a folder that a
    cleanup must never touch (both mode 0600/0700 when it starts)."""
    base = Path(tempfile.mkdtemp(prefix="rebuildable-outside-", dir="/tmp"))
    os.chmod(base, 0o755)
    (base / "file.txt").write_text("not yours\n")
    os.chmod(base / "file.txt", 0o600)
    (base / "folder").mkdir(mode=0o700)
    try:
        yield base
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=False)


def hostile_tree(top: Path, outside: Path, depth: int) -> None:
    """Hostile asset: what a step may leave in its work folder. ``depth`` nested folders;
    at the bottom links to a file and a folder outside, inside a read-only folder; an
    unreadable folder holding a read-only one; a name the remover itself would pick."""
    fd = _nest(top, depth)
    os.symlink(outside / "file.txt", "to-file", dir_fd=fd)
    os.symlink(outside / "folder", "to-folder", dir_fd=fd)
    os.fchmod(fd, 0o500)
    os.close(fd)
    (top / "closed" / "ro").mkdir(parents=True)
    (top / "closed" / "ro" / "f").write_text("x")
    (top / "closed" / "link").symlink_to(outside / "folder")
    os.chmod(top / "closed" / "ro", 0o500)
    os.chmod(top / "closed", 0o000)
    (top / ".rebuildable-rm-1").write_text("taken\n")
    os.chmod(top, 0o500)


def _as_nobody(code: str, *owned: Path) -> None:
    """Run ``code`` as an unprivileged user (root never meets EACCES) owning ``owned``,
    so that a chmod through a link would succeed and be seen."""
    if os.geteuid() == 0:
        for p in owned:
            os.lchown(p, 65534, 65534)
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                sys.executable, "-c", code]
    else:
        argv = [sys.executable, "-c", code]
    env = {"PATH": os.defpath, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run(argv, check=True, env=env, timeout=120)


def test_a_deep_hostile_tree_is_removed_without_touching_outside(outside: Path) -> None:
    """3000 levels: the old remover (shutil.rmtree) recursed once per level, and a
    rebuild ended in "internal error: RecursionError" with its private folder left."""
    tree = Path(tempfile.mkdtemp(prefix="rebuildable-tree-", dir="/tmp"))
    os.chmod(tree, 0o755)
    top = tree / "work"
    _as_nobody("from pathlib import Path\n"
               "from rebuildable.rebuild.workfolder import remove_tree\n"
               "from tests.unit.rebuildable.rebuild.test_workfolder import hostile_tree\n"
               f"top = Path({str(top)!r})\n"
               "top.mkdir()\n"
               f"hostile_tree(top, Path({str(outside)!r}), 3000)\n"
               "remove_tree(top)\n",
               tree, outside, outside / "file.txt", outside / "folder")
    assert not top.exists()
    assert stat.S_IMODE((outside / "file.txt").stat().st_mode) == 0o600
    assert stat.S_IMODE((outside / "folder").stat().st_mode) == 0o700
    remove_tree(tree)
    assert not tree.exists()


def test_removing_a_link_or_nothing(tmp_path: Path, outside: Path) -> None:
    link = tmp_path / "work"
    link.symlink_to(outside / "folder")
    remove_tree(link)
    assert not link.is_symlink()
    assert (outside / "folder").is_dir()
    remove_tree(tmp_path / "nothing-there")


def test_the_listing_stops_at_its_bound(tmp_path: Path) -> None:
    for i in range(50):
        (tmp_path / f"f{i:02d}").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a").write_bytes(b"")
    (tmp_path / "link").symlink_to("/etc/hostname")
    full = list_files(tmp_path, lambda p: p == "f00", shown=3, bound=1000)
    assert (full.first, full.count, full.truncated) == (["f01", "f02", "f03"], 50, False)
    cut = list_files(tmp_path, lambda p: False, shown=3, bound=10)
    assert cut.truncated
    assert cut.count <= 10


def test_a_step_that_leaves_a_deep_tree_is_no_crash(tmp_path: Path) -> None:
    """Hostile asset ``deep_folder_step``. Old code: "internal error: RecursionError"
    from the cleanup, the private folder left in the temporary folder."""
    rel = deep_folder_step(tmp_path / "rel")
    report = rebuild(rel, RebuildOptions(timeout=60, work_root=tmp_path / "w"))
    assert report.ok, [f.message for f in report.findings]
    assert list((tmp_path / "w").iterdir()) == []


def test_undeclared_files_are_counted_up_to_a_bound(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Hostile asset ``many_files_step``: the old note listed (and held) every entry of
    the work folder, millions of them if the step made so many. The bound here is
    lowered to 500 entries; by default it is 100,000."""
    monkeypatch.setattr(run, "MAX_SCANNED", 500)
    rel = many_files_step(tmp_path / "rel", 2000)
    report = rebuild(rel, RebuildOptions(timeout=60))
    note = next(f for f in report.findings if f.code == "rebuild.undeclared-write")
    assert note.data["count_is_lower_bound"] is True
    assert 0 < note.data["count"] < 500
    assert all(f.startswith("junk/f") for f in note.data["files"])
    assert "or more" in note.message
    assert report.ok
