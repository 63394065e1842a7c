"""What a step may see ([REB-3]): the command lines that build its private view.

Both sandboxes give a step the same view: the system read-only; the work folder the
only writable place; the release, the rebuilder's own folders and the places where a
host keeps personal files and sockets (``HIDDEN_PLACES``) covered by empty folders;
a fresh ``/dev`` with only the harmless devices; no network; a PID namespace. The
folders on the caller's PATH that lie in a hidden place are shown again, read-only,
so that the user's toolchains are still found.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rebuildable.rebuild.sandbox_init import PROC_READONLY

#: places a step never sees, whatever the machine: personal files, temporary files
#: (where the work folders themselves live) and runtime sockets
HIDDEN_PLACES = ("/root", "/home", "/tmp", "/var/tmp",  # noqa: S108 - names to hide, not used
                 "/run", "/mnt", "/media", "/srv")
#: where users' home folders are: one of them on PATH is never shown whole
HOMES = ("/home",)
_INIT = Path(__file__).with_name("sandbox_init.py")


@dataclass(frozen=True, slots=True)
class View:
    """What a step's sandbox hides and shows, besides its work folder."""

    hide: tuple[str, ...]
    keep: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, list[str]]:
        return {"hidden": list(self.hide), "toolchains_shown": list(self.keep)}


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def make_view(private: Iterable[Path], path_env: str | None) -> View:
    """Hide ``HIDDEN_PLACES`` and ``private`` (the release, the rebuilder's folders);
    show the PATH folders (or their virtual environments) that a hidden place covers
    and that hold nothing private."""
    secret = sorted({os.path.realpath(p) for p in private})
    hide = [p for p in HIDDEN_PLACES if os.path.isdir(p) and not os.path.islink(p)]
    hide += [p for p in secret if not any(_under(p, h) for h in hide)]
    keep: list[str] = []
    for entry in (path_env or "").split(os.pathsep):
        if not os.path.isabs(entry) or not os.path.isdir(entry):
            continue
        folder = _toolchain_root(os.path.realpath(entry))
        if (not any(_under(folder, h) for h in hide)
                or any(_under(folder, s) or _under(s, folder) for s in secret)
                # a PATH naming a whole hidden place or home folder (~ itself) would
                # show all of it: ~/.ssh, other users' files, every socket in /run
                or folder in hide or os.path.dirname(folder) in ("/", *HOMES)):
            continue
        keep.append(folder)
    keep = [k for k in keep if not any(_under(k, o) and k != o for o in keep)]
    return View(tuple(hide), tuple(dict.fromkeys(keep)))


def _toolchain_root(folder: str) -> str:
    """The folder a PATH entry needs: a virtual environment needs its ``lib/``, a
    version manager's ``shims/`` its whole root (pyenv, rbenv, nodenv)."""
    parent = os.path.dirname(folder)
    if os.path.isfile(os.path.join(parent, "pyvenv.cfg")):
        return parent
    if os.path.basename(folder) == "shims":
        for root in (parent, os.path.dirname(os.path.dirname(parent))):
            if os.path.isdir(os.path.join(root, "versions")):
                return root
    return folder


def bwrap_argv(work: Path, command: Sequence[str], view: View, *,
               network: bool = False) -> list[str]:
    """``network``: only for building a locked environment when the caller allows it."""
    bwrap = shutil.which("bwrap") or "bwrap"
    argv = [bwrap, *([] if network else ["--unshare-net"]), "--unshare-pid", "--unshare-ipc",
            "--unshare-uts",
            # as root, bwrap keeps every capability unless told: a step could remount /
            # read-write
            "--cap-drop", "ALL", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    # a caller running as root leaves the step uid 0 without capabilities, and the
    # kernel lets uid 0 write most of /proc/sys on file modes alone (core_pattern: a
    # program the host runs as root); bwrap covers /proc/sys only when the caller
    # cannot write the folder itself, which root without capabilities cannot
    for place in PROC_READONLY:
        if os.path.exists(place):
            argv += ["--ro-bind", place, place]
    for place in sorted(view.hide, key=len):
        if os.path.isdir(place):
            argv += ["--tmpfs", place]
        elif os.path.exists(place):
            argv += ["--ro-bind", "/dev/null", place]
    for folder in view.keep:
        argv += ["--ro-bind", folder, folder]
    argv += ["--bind", str(work), str(work)]
    # the covers are read-only too, once the work folder's mount point is made in them
    for place in sorted(view.hide, key=len):
        if os.path.isdir(place):
            argv += ["--remount-ro", place]
    return [*argv, "--remount-ro", "/dev", "--die-with-parent", "--new-session",
            "--chdir", str(work), "--", *command]


def unshare_argv(work: Path, command: str, view: View, *, network: bool = False) -> list[str]:
    """unshare makes the namespaces; ``sandbox_init`` builds the view inside them."""
    unshare = shutil.which("unshare") or "unshare"
    spec = {"work": str(work), "hide": [p for p in view.hide if os.path.exists(p)],
            "keep": list(view.keep), "command": command,
            "lock": [unshare, "--user", "--map-root-user", "--mount"]}
    return [unshare, "--user", "--map-root-user", "--mount", *([] if network else ["--net"]),
            "--ipc", "--uts",
            "--pid", "--fork", "--mount-proc", "--kill-child", "--",
            sys.executable, "-I", "-S", str(_INIT), json.dumps(spec)]
