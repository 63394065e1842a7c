"""openat2 through ctypes: one call that follows no link and never leaves its folder."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from rebuildable import openbeneath

FLAGS = os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)


@pytest.fixture
def root(tmp_path: Path) -> Iterator[int]:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_bytes(b"data")
    (tmp_path / "outside").write_bytes(b"secret")
    (tmp_path / "d" / "up").symlink_to("..")
    (tmp_path / "d" / "lf").symlink_to("f")
    (tmp_path / "ld").symlink_to("d")
    fd = os.open(tmp_path / "d", os.O_RDONLY | os.O_DIRECTORY)
    openbeneath.enable()
    try:
        if openbeneath.open_beneath(fd, "f", FLAGS) is None:
            pytest.skip("openat2 is not available here")
        yield fd
    finally:
        os.close(fd)
        openbeneath.enable()


def test_opens_a_regular_file(root: int) -> None:
    fd = openbeneath.open_beneath(root, "f", FLAGS)
    assert fd is not None
    with os.fdopen(fd, "rb") as fh:
        assert fh.read() == b"data"


@pytest.mark.parametrize(("path", "code"), [
    ("lf", errno.ELOOP),          # a link as the last component
    ("up/outside", errno.ELOOP),  # a link along the way
    ("../outside", errno.EXDEV),  # leaving the folder
    ("nope", errno.ENOENT),
    ("f/x", errno.ENOTDIR),
])
def test_refuses_links_and_escapes(root: int, path: str, code: int) -> None:
    with pytest.raises(OSError) as info:
        openbeneath.open_beneath(root, path, FLAGS)
    assert info.value.errno == code


def test_absolute_paths_never_leave_the_folder(root: int) -> None:
    with pytest.raises(OSError) as info:
        openbeneath.open_beneath(root, "/etc/passwd", FLAGS)
    assert info.value.errno == errno.EXDEV


def test_nul_in_a_path_is_refused_not_truncated(root: int) -> None:
    with pytest.raises(ValueError, match="null"):
        openbeneath.open_beneath(root, "f\x00/../../outside", FLAGS)


def test_disabled_means_none(root: int) -> None:
    openbeneath.disable()
    assert openbeneath.open_beneath(root, "f", FLAGS) is None


def test_the_environment_can_opt_out(root: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """REBUILDABLE_NO_OPENAT2=1: for hosts whose syscall filter kills rather than fails."""
    monkeypatch.setenv("REBUILDABLE_NO_OPENAT2", "1")
    openbeneath.enable()
    assert openbeneath.open_beneath(root, "f", FLAGS) is None
    monkeypatch.setenv("REBUILDABLE_NO_OPENAT2", "0")
    openbeneath.enable()
    fd = openbeneath.open_beneath(root, "f", FLAGS)
    assert fd is not None
    os.close(fd)


def test_unsupported_flags_turn_it_off_for_good(root: int) -> None:
    # Bits the kernel does not know give EINVAL: openat2 is then not used again.
    assert openbeneath.open_beneath(root, "f", FLAGS | (1 << 40)) is None
    assert openbeneath.open_beneath(root, "f", FLAGS) is None
