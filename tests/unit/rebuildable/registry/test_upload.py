"""The publish body's receiver: each part streamed to its own file under a bound, the
body bounded as a whole, anything but the three named parts refused, and its temporary
folder gone whatever happened."""

from __future__ import annotations

from pathlib import Path

import pytest

from rebuildable.registry.config import UploadLimits
from rebuildable.registry.errors import RegistryError
from rebuildable.registry.upload import UPLOAD_PREFIX, UploadReceiver

BOUNDARY = "b0undary"
TYPE = f"multipart/form-data; boundary={BOUNDARY}"
LIMITS = UploadLimits(max_body=8192, max_manifest=100, max_envelope=200)


def _part(name: str, data: bytes, extra: str = "") -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; "
            f"filename=\"x\"\r\n{extra}\r\n").encode() + data + b"\r\n"


def _body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _receive(body: bytes, tmp: Path, *, chunk: int = 7,
             content_type: str = TYPE) -> dict[str, bytes]:
    with UploadReceiver(content_type, LIMITS, tmp_root=tmp) as receiver:
        for start in range(0, len(body), chunk):
            receiver.feed(body[start:start + chunk])
        parts = receiver.finish()
        return {name: part.path.read_bytes() for name, part in parts.items()}


def _refused(body: bytes, tmp: Path, **kw: object) -> RegistryError:
    with pytest.raises(RegistryError) as caught:
        _receive(body, tmp, **kw)  # type: ignore[arg-type]
    assert list(tmp.iterdir()) == []  # the temporary folder is gone
    return caught.value


def test_three_parts_in_small_chunks(tmp_path: Path) -> None:
    got = _receive(_body(_part("manifest", b"m" * 100), _part("envelope", b"{}"),
                         _part("archive", b"\r\n--b0undar\r\n" * 50)), tmp_path)
    assert got == {"manifest": b"m" * 100, "envelope": b"{}",
                   "archive": b"\r\n--b0undar\r\n" * 50}
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("parts", "status", "text"), [
    ((("manifest", b"m" * 101),), 413, "part 'manifest' is larger than 100 bytes"),
    ((("envelope", b"e" * 201),), 413, "part 'envelope' is larger than 200 bytes"),
    ((("archive", b"a" * 9000),), 413, "the upload is larger than 8192 bytes"),
    ((("manifest", b"m"), ("manifest", b"m")), 400, "part 'manifest' sent twice"),
    ((("readme", b"r"),), 400, "unexpected part 'readme'"),
    ((("../manifest", b"r"),), 400, "unexpected part '../manifest'"),
    ((("", b"r"),), 400, "unexpected part ''"),
    ((("manifest", b"m"), ("envelope", b"e")), 400, "missing part(s): archive"),
])
def test_refused_bodies(tmp_path: Path, parts: tuple[tuple[str, bytes], ...], status: int,
                        text: str) -> None:
    error = _refused(_body(*(_part(n, d) for n, d in parts)), tmp_path)
    assert (error.status, error.code) == (status, "too-large" if status == 413 else
                                          "bad-request")
    assert text in error.message


@pytest.mark.parametrize(("body", "content_type", "text"), [
    (b"just bytes", TYPE, "malformed multipart body"),
    (_part("manifest", b"m"), TYPE, "the multipart body ends inside a part"),
    (b"x", "application/json", "must be multipart/form-data with a boundary"),
    (b"x", "multipart/form-data", "must be multipart/form-data with a boundary"),
    (_body(_part("manifest", b"m", "X-Long: " + "x" * 5000 + "\r\n")), TYPE,
     "malformed multipart body"),
    (_body(_part("manifest", b"m", "".join(f"X-{i}: y\r\n" for i in range(20)))), TYPE,
     "malformed multipart body"),
])
def test_malformed_bodies(tmp_path: Path, body: bytes, content_type: str, text: str) -> None:
    error = _refused(body, tmp_path, content_type=content_type)
    assert error.status == 400
    assert text in error.message


def test_the_folder_is_private_and_named_for_gc(tmp_path: Path) -> None:
    with UploadReceiver(TYPE, LIMITS, tmp_root=tmp_path) as receiver:
        assert receiver.folder.parent == tmp_path
        assert receiver.folder.name.startswith(UPLOAD_PREFIX)
        assert receiver.folder.stat().st_mode & 0o077 == 0
    assert not receiver.folder.exists()
