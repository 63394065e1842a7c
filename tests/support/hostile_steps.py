"""Named hostile releases whose *steps* attack the rebuilder (issue 9), built at test time.

Each builder writes one release with one step under a folder and returns its root; the
name of the builder is the name of the asset. The published output is what an honest,
confined step makes, so a rebuild that lets the attack through either says "reproduced"
about something it should not, or differs where a confined step would not.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

from tests.support.releases import make_release

__all__ = [
    "archive_reading_step",
    "deep_folder_step",
    "many_files_step",
    "one_step",
    "proc_sys_writing_step",
    "release_overwriting_step",
    "sparse_output_step",
]


def one_step(root: Path, run: str, files: dict[str, bytes], outputs: list[str],
             inputs: list[str] | None = None, **fields: object) -> Path:
    """A release of ``files`` with one step ``build`` making ``outputs`` (paths)."""
    ids = {p: p.replace("/", "-").replace(".", "-") for p in files}
    step = {"id": "build", "run": run, "outputs": [ids[p] for p in outputs],
            "inputs": inputs if inputs is not None else [ids[p] for p in files
                                                         if p not in outputs]}
    return make_release(root, files, [step], ids=ids, **fields)  # type: ignore[arg-type]


PROC_SYS_PROBE = b"""\
import os
writable = 0
for folder, _, names in os.walk("/proc/sys"):
    for name in names:
        try:
            fd = os.open(os.path.join(folder, name), os.O_WRONLY)
        except OSError:
            continue
        os.close(fd)  # opened only: nothing is written to the kernel
        writable += 1
print(writable)
"""


def proc_sys_writing_step(root: Path) -> Path:
    """A step that counts the kernel settings (``/proc/sys``) it could write; a confined
    step can write none (under bwrap run by root it could write ``core_pattern``, a
    program the host runs as root on the next crash). It publishes ``0``."""
    return one_step(root, "mkdir -p out && python3 probe.py > out/count.txt",
                    {"probe.py": PROC_SYS_PROBE, "out/count.txt": b"0\n"}, ["out/count.txt"])


def archive_reading_step(folder: Path) -> Path:
    """A release shipped as ``release.tgz`` whose step extracts the shipped output from
    the archive itself, by its absolute path. Returns the archive."""
    archive = folder / "release.tgz"
    tree = one_step(folder / "tree", f"mkdir -p out && tar xzf {archive} ./out/x.txt; true",
                    {"out/x.txt": b"backdoor\n"}, ["out/x.txt"])
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tree, arcname=".")
    return archive


def release_overwriting_step(root: Path) -> Path:
    """A step that makes honest bytes and writes them over the release's shipped output
    (a backdoor whose digest the manifest declares honestly): only a step that can see
    the release (isolation ``none``) gets it "reproduced"."""
    return one_step(root, f"mkdir -p out && printf 'honest\\n' > out/x.txt && "
                          f"cp out/x.txt {root}/out/x.txt 2>/dev/null; true",
                    {"out/x.txt": b"backdoor\n"}, ["out/x.txt"])


def deep_folder_step(root: Path, depth: int = 3000) -> Path:
    """A step that leaves ``depth`` nested folders, the deepest read-only, holding a
    link to a file outside (the rebuilder used to recurse once per level to remove
    them: RecursionError, an internal error)."""
    make = (f"import os\nfor _ in range({depth}):\n    os.mkdir('d'); os.chdir('d')\n"
            "os.symlink('/etc/hostname', 'link')\nos.chmod('.', 0o500)\n")
    return one_step(root, "mkdir -p out && echo x > out/x.txt && python3 deep.py",
                    {"deep.py": make.encode(), "out/x.txt": b"x\n"}, ["out/x.txt"])


def many_files_step(root: Path, count: int) -> Path:
    """A step that leaves ``count`` undeclared files in its work folder."""
    make = (f"import os\nos.mkdir('junk')\nfor i in range({count}):\n"
            "    open(f'junk/f{i:07d}', 'w').close()\n")
    return one_step(root, "mkdir -p out && echo x > out/x.txt && python3 many.py",
                    {"many.py": make.encode(), "out/x.txt": b"x\n"}, ["out/x.txt"])


def sparse_output_step(root: Path, size: str) -> Path:
    """A step whose output is a sparse file of apparent ``size`` (``truncate -s``): no
    disk and no time to make, all of both to copy densely."""
    return one_step(root, f"mkdir -p out && truncate -s {size} out/big.bin",
                    {"out/big.bin": b"small\n"}, ["out/big.bin"])
