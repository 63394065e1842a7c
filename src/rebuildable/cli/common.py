"""What every command shares: option decorators, progress on a terminal, rendering a
report and the exit code, and the one place unexpected errors are turned into a
one-line message.

Exit codes (the public contract): 0 = no errors (warnings allowed), 1 = errors found
(or warnings with ``--strict``), 2 = usage error or unreadable input.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from rebuildable.errors import RebuildableError, UsageError, spell_options
from rebuildable.progress import NO_PROGRESS, Progress
from rebuildable.render import FORMATS, MACHINE_FORMATS, render
from rebuildable.render._places import ArchivePlace
from rebuildable.render.text import safe
from rebuildable.report import Report

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

DEBUG_ENV = "REBUILDABLE_DEBUG"

#: the flag of each option that core messages name (as `force`, `threshold`...): the core
#: knows options by their API names, only the command line knows its flags
FLAGS = {
    "algorithms": "--alg",
    "cache_dir": "--cache-dir",
    "detail": "--detail",
    "fetch": "--fetch",
    "force": "--force",
    "inputs_dirs": "--inputs-dir",
    "key": "--key",
    "keys": "--key",
    "require": "--require",
    "step": "--step",
    "threshold": "--threshold",
    "timeout": "--timeout",
    "to": "--to",
    "trust": "--trust",
    "upstream_dirs": "--upstream-dir",
    "work_root": "--work-dir",
}


# -- option decorators ----------------------------------------------------------------

class Choice(click.Choice[str]):
    """click's Choice, whose refusal also names the value that was probably meant
    (``--format sarf``: did you mean 'sarif'?), not only the list to pick from."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as exc:
            from rebuildable import api  # noqa: PLC0415 - only on a mistake

            meant = api.closest_name(str(value), [str(c) for c in self.choices])
            if meant is None:
                raise
            raise click.BadParameter(f"{exc.message.rstrip()} Did you mean {meant!r}?",
                                     ctx=exc.ctx, param=exc.param,
                                     param_hint=exc.param_hint) from None


def format_option(func: F) -> F:
    """``--format text|json|sarif`` (text by default)."""
    return click.option(
        "--format", "fmt", type=Choice(FORMATS), default="text", show_default=True,
        help="Report format. json and sarif go to stdout, and nothing else does.")(func)


def strict_option(func: F) -> F:
    return click.option("--strict", is_flag=True,
                        help="Warnings count as errors (exit code 1).")(func)


def key_option(func: F) -> F:
    """``--key PUB`` (repeatable): public keys as PEM bytes, passed on as ``keys``."""
    return click.option(
        "--key", "keys", multiple=True, metavar="PUB", callback=_read_keys,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Public key (PEM) whose valid signature is required; repeatable.")(func)


def threshold_option(func: F) -> F:
    return click.option(
        "--threshold", type=click.IntRange(min=1), default=None, metavar="N",
        help="How many distinct keys must have signed (default: 1).")(func)


def trust_option(func: F) -> F:
    return click.option(
        "--trust", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
        metavar="FILE", help="Trust policy file (YAML) naming keys and a threshold.")(func)


def keyless_options(func: F) -> F:
    """``--identity``, ``--issuer``, ``--sigstore-instance``: require a keyless signature
    (rebuild.sigstore.json) by this certificate identity from this OIDC issuer."""
    func = click.option(
        "--sigstore-instance", type=Choice(("production", "staging")),
        default="production", show_default=True,
        help="Whose trusted root (as sigstore-python ships it) checks keyless bundles.")(func)
    func = click.option(
        "--issuer", default=None, metavar="URL",
        help="The OIDC issuer of the keyless signer's certificate (with --identity).")(func)
    return click.option(
        "--identity", default=None, metavar="ID",
        help="Require a keyless signature (rebuild.sigstore.json) by this certificate "
             "identity (an e-mail or a workflow URI), checked offline.")(func)


def check_keyless_options(identity: str | None, issuer: str | None) -> None:
    """--identity and --issuer go together (an identity alone says nothing of who vouched
    for it)."""
    if (identity is None) != (issuer is None):
        fail("--identity and --issuer go together")


def workers_option(func: F) -> F:
    return click.option(
        "--workers", type=click.IntRange(min=1, max=256), default=2, show_default=True,
        metavar="N", help="Threads used to hash files.")(func)


def no_color_option(func: F) -> F:
    return click.option("--no-color", is_flag=True,
                        help="No colour, even on a terminal (NO_COLOR is honoured too).")(func)


def _read_keys(ctx: click.Context, param: click.Parameter,
               value: Sequence[Path]) -> tuple[bytes, ...]:
    keys = []
    for path in value:
        try:
            keys.append(path.read_bytes())
        except OSError as exc:
            raise click.BadParameter(f"{path}: {exc.strerror or exc}", ctx, param) from exc
    return tuple(keys)


# -- output ------------------------------------------------------------------------------

def use_color(no_color: bool = False, stream: Any = None) -> bool:
    """Colour only on a terminal, never with ``--no-color`` or ``NO_COLOR`` set."""
    stream = sys.stdout if stream is None else stream
    if no_color or os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def exit_code(report: Report) -> int:
    """0 when ok, 1 when errors (or warnings with --strict), 2 when unreadable."""
    if report.fatal:
        return EXIT_USAGE
    return EXIT_OK if report.ok else EXIT_FINDINGS


def _from_cwd(path: Path) -> str:
    """``path`` seen from the working folder: relative (POSIX) below it, ``"."`` for it,
    absolute elsewhere: "../x" would send a code-scanning service (and a reader) to a
    wrong file, an absolute path names the right one."""
    for here, there in ((Path(os.path.abspath(Path.cwd())), Path(os.path.abspath(path))),
                        (Path.cwd().resolve(), path.resolve())):
        try:
            return there.relative_to(here).as_posix()
        except ValueError:
            continue
    return Path(os.path.abspath(path)).as_posix()


def release_base(target: object) -> str | None:
    """The folder of the release named by ``target`` as seen from the working directory
    (POSIX, ending in ``/``: relative below it, ``""`` for the working directory itself,
    absolute elsewhere), or None when it is not a folder or manifest (archives, streams)."""
    if not isinstance(target, str | os.PathLike) or str(target) == "-":
        return None
    path = Path(target)
    if path.is_dir():
        root = path
    elif path.is_file() and path.suffix in (".yaml", ".yml", ".json"):
        root = path.parent
    else:
        return None
    posix = _from_cwd(root)
    return "" if posix == "." else posix.rstrip("/") + "/"


def release_archive(target: object) -> ArchivePlace | None:
    """The archive file ``target`` names (not a manifest, a folder or standard input)."""
    if not isinstance(target, str | os.PathLike) or str(target) == "-":
        return None
    path = Path(target)
    if not path.is_file() or path.suffix in (".yaml", ".yml", ".json"):
        return None
    return ArchivePlace(str(target), _from_cwd(path))


def emit(report: Report, fmt: str, *, no_color: bool = False, target: object = None) -> None:
    """Write the rendered report to stdout (the only thing a command writes there).

    ``target`` is what the user named (a path), so that the text and SARIF reports
    give places in the manifest from the working directory."""
    color = fmt not in MACHINE_FORMATS and use_color(no_color)
    text = render(report, fmt, color=color, base=release_base(target),
                  archive=release_archive(target))
    click.echo(text, nl=False, color=color)


def finish(report: Report, fmt: str, *, no_color: bool = False,
           target: object = None) -> NoReturn:
    """Render the report to stdout and exit with its code."""
    emit(report, fmt, no_color=no_color, target=target)
    sys.exit(exit_code(report))


def note(message: str) -> None:
    """A diagnostic for the person at the terminal: always stderr, never stdout.

    Options the core names by their API names (`force`) are shown as this command
    line's flags (``--force``). Control characters (file names from a hostile release may
    hold terminal escapes) are shown as escapes; the message's own line breaks are kept."""
    message = spell_options(message, FLAGS)
    text = "\n".join(safe(line) for line in message.split("\n"))
    click.echo(f"rebuildable: {text}", err=True)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one line on stderr and exit (2 by default: usage or unreadable input)."""
    note(message)
    sys.exit(code)


# -- progress ----------------------------------------------------------------------------

class RichProgress:
    """The :class:`~rebuildable.progress.Progress` protocol drawn by rich on stderr.

    ``advance`` may be called from hashing threads; rich's task updates take its own
    lock, and ours guards the current task id.
    """

    def __init__(self, console: Console | None = None) -> None:
        # rich's progress machinery is imported only when a bar is drawn: it is a good
        # part of start-up time, and CI runs (no terminal) never need it.
        from rich.console import Console  # noqa: PLC0415
        from rich.progress import (  # noqa: PLC0415
            BarColumn,
            DownloadColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        from rich.progress import Progress as RichProgressBar  # noqa: PLC0415

        self._console = console or Console(stderr=True)
        self._bar = RichProgressBar(
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
            TransferSpeedColumn(), TimeRemainingColumn(),
            console=self._console, transient=True)
        self._lock = threading.Lock()
        self._task: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()
        self._bar.stop()

    def start(self, description: str, total: int) -> None:
        with self._lock:
            if self._task is not None:
                self._bar.remove_task(self._task)
            self._task = self._bar.add_task(description, total=max(total, 0) or None)

    def advance(self, amount: int) -> None:
        with self._lock:
            task = self._task
        if task is not None:
            self._bar.advance(task, amount)

    def finish(self) -> None:
        with self._lock:
            if self._task is not None:
                self._bar.remove_task(self._task)
                self._task = None

    @property
    def completed(self) -> float:
        """How much of the current phase is done (0 when no phase runs)."""
        with self._lock:
            task = self._task
        if task is None:
            return 0
        return next((t.completed for t in self._bar.tasks if t.id == task), 0)


def progress_wanted(fmt: str = "text") -> bool:
    """Progress bars only for text output and only when stderr is a terminal."""
    return fmt not in MACHINE_FORMATS and sys.stderr.isatty()


@contextmanager
def progress_for(fmt: str = "text") -> Iterator[Progress]:
    """A live progress display on a terminal; :data:`NO_PROGRESS` everywhere else."""
    if not progress_wanted(fmt):
        yield NO_PROGRESS
        return
    with RichProgress() as progress:
        yield progress


# -- error handling ----------------------------------------------------------------------

class RebuildableGroup(click.Group):
    """The command group: turns unexpected exceptions into one line and exit code 2.

    A usage mistake (:class:`~rebuildable.errors.UsageError`) or another deliberate
    :class:`~rebuildable.errors.RebuildableError` prints its message; anything else
    prints ``rebuildable: internal error: ...``. ``REBUILDABLE_DEBUG=1`` re-raises so
    that the traceback shows.
    """

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            from rebuildable import api  # noqa: PLC0415 - only on a mistake

            meant = (api.closest_name(args[0], self.list_commands(ctx))
                     if args and exc.message.startswith("No such command") else None)
            if meant is None:
                raise
            raise click.UsageError(f"{exc.message} Did you mean {meant!r}?", exc.ctx) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit,
                click.exceptions.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            if os.environ.get(DEBUG_ENV):
                raise
            if isinstance(exc, UsageError):
                fail(str(exc))
            if isinstance(exc, RebuildableError):
                fail(str(exc))
            if isinstance(exc, BrokenPipeError):
                sys.exit(EXIT_USAGE)
            detail = str(exc)
            fail(f"internal error: {type(exc).__name__}{': ' + detail if detail else ''}")
