"""Key files on disk: writing a new key pair safely and reading keys back.

The private key is created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` and mode 0600, so it
is never readable by others, never written through a symbolic link, and never
overwrites an existing file; with ``force`` it replaces one through a private
temporary file and a rename.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from rebuildable.atomic import check_replaceable, write_atomic
from rebuildable.errors import UsageError
from rebuildable.signing.keys import PrivateKey, PublicKey, load_private_key, load_public_key

__all__ = ["KeyPairPaths", "public_path", "read_private_key", "read_public_key", "write_key_pair"]

MAX_KEY_BYTES = 64 * 1024


@dataclass(frozen=True)
class KeyPairPaths:
    private: Path
    public: Path


def public_path(private: Path) -> Path:
    """``KEYFILE.pub`` beside ``KEYFILE``."""
    return private.with_name(private.name + ".pub")


def _create_exclusive(path: Path, data: bytes, mode: int) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) \
        | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, mode)
    try:
        os.fchmod(fd, mode)  # the umask may have removed bits; never adds any beyond mode
        with os.fdopen(fd, "wb") as fh:
            fd = -1
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        # a half-written key (a full disk) would block the next keygen as "exists"
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    finally:
        if fd >= 0:
            os.close(fd)


def write_key_pair(path: Path, key: PrivateKey, *, force: bool = False) -> KeyPairPaths:
    """Write ``key`` as PEM at ``path`` (mode 0600) and its public key at ``path.pub``.

    Raises :class:`UsageError` when either file exists and ``force`` is false, or
    when the folder cannot be written.
    """
    pub = public_path(path)
    if not force:
        existing = [p for p in (path, pub) if p.exists() or p.is_symlink()]
        if existing:
            raise UsageError(f"{existing[0]} already exists; use `force` to replace it "
                             "(the old key is then lost)", field="force")
    if not path.parent.is_dir():
        raise UsageError(f"{path.parent} is not a folder")
    try:
        for target in (path, pub):  # both checked before either is written
            check_replaceable(target)
        if force:
            write_atomic(path, key.pem(), mode=0o600)
            write_atomic(pub, key.public.pem(), mode=0o644)
        else:
            _create_exclusive(path, key.pem(), 0o600)
            try:
                _create_exclusive(pub, key.public.pem(), 0o644)
            except BaseException:
                with contextlib.suppress(OSError):
                    path.unlink()
                raise
    except FileExistsError as exc:
        raise UsageError(f"{exc.filename} already exists; use `force` to replace it",
                         field="force") from exc
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename or path}: {exc.strerror or exc}") from exc
    return KeyPairPaths(path, pub)


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_KEY_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_KEY_BYTES:
        raise UsageError(f"{path}: larger than {MAX_KEY_BYTES} bytes; not a key file")
    return data


def read_private_key(path: Path, password: bytes | None = None) -> PrivateKey:
    """Load a private key file; BadKeyError or UsageError when it is not one."""
    return load_private_key(_read(path), str(path), password)


def read_public_key(path: Path) -> PublicKey:
    return load_public_key(_read(path), str(path))
