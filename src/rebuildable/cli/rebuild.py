"""`rebuildable rebuild [RELEASE]`: run the steps from the declared inputs alone and
compare what comes out with the published outputs.

Exit codes: 0 every output reproduced (identical, or equivalent under its declared
policy), 1 not (or warnings with ``--strict``), 2 usage error or unreadable input.
"""

from __future__ import annotations

from pathlib import Path

import click

from rebuildable import api
from rebuildable.cli.common import (
    Choice,
    finish,
    format_option,
    no_color_option,
    note,
    progress_for,
    strict_option,
)

ISOLATION_CHOICES = ("auto", "bwrap", "unshare", "none")


@click.command("rebuild")
@click.argument("release", default=".", metavar="[RELEASE]")
@format_option
@strict_option
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=api.DEFAULT_TIMEOUT,
              show_default=True, metavar="SECONDS", help="Time limit for each step.")
@click.option("--step", "step", default=None, metavar="ID",
              help="Rebuild this step only; inputs made by other steps are taken from the "
                   "release's shipped files, verified by digest.")
@click.option("--twice", is_flag=True,
              help="Run each step twice in fresh folders and compare the runs (nondeterminism).")
@click.option("--keep", is_flag=True,
              help="Keep the work folders for inspection (their place is printed on stderr).")
@click.option("--inputs-dir", "inputs_dirs", multiple=True, metavar="DIR",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder holding external inputs, matched by digest. Repeatable.")
@click.option("--fetch", is_flag=True,
              help="Download external inputs (https/http), verified by digest before use.")
@click.option("--upstream-dir", "upstream_dirs", multiple=True, metavar="DIR",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder holding upstream releases. Repeatable.")
@click.option("--isolation", type=Choice(ISOLATION_CHOICES), default="auto",
              show_default=True,
              help="How steps are isolated: a sandbox (bwrap or unshare; auto picks the "
                   "first that works, and runs nothing when none does), or none: no "
                   "sandbox, as asked, said in the report.")
@click.option("--max-output-size", type=click.IntRange(min=1),
              default=api.DEFAULT_MAX_OUTPUT_SIZE, show_default=True, metavar="BYTES",
              help="An output larger than this is refused, not copied or compared.")
@click.option("--sample", type=click.IntRange(min=1), default=None, metavar="N",
              help="Replay N segments of the steps that declare checkpoints and a replay "
                   "command, chosen at random, instead of running every step in full.")
@click.option("--seed", type=click.IntRange(min=0), default=None, metavar="S",
              help="The seed that chooses the --sample segments (default: a fresh one; the "
                   "report gives it, so the choice can be repeated).")
@click.option("--wheels", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, metavar="DIR",
              help="A folder of wheels that steps' locked environments are installed from.")
@click.option("--allow-network-for-environment", "allow_network", is_flag=True,
              help="Let the phase that builds a locked environment (only) reach the package "
                   "index; the step itself never has network.")
@click.option("--work-dir", "work_root", default=None, metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Make the private work folders under DIR (default: the system's temp).")
@no_color_option
def command(*, release: str, fmt: str, strict: bool, timeout: float, step: str | None,
            twice: bool, keep: bool, inputs_dirs: tuple[Path, ...], fetch: bool,
            upstream_dirs: tuple[Path, ...], isolation: str, max_output_size: int,
            sample: int | None, seed: int | None, wheels: Path | None, allow_network: bool,
            work_root: Path | None, no_color: bool) -> None:
    """Rebuild RELEASE (folder, manifest or archive; default .) from its declared inputs.

    Each step runs in a fresh private folder holding only its declared inputs, with a
    minimal environment, a time limit, no network and a read-only system, seeing nothing
    of the machine but its work folder and the system (spec/rebuild.md, REB-3). Every
    output is compared with the published one: exact bytes by default, or the step's
    equivalence policy.
    """
    with progress_for(fmt) as progress:
        options = api.RebuildOptions(
            timeout=timeout, inputs_dirs=tuple(inputs_dirs), fetch=fetch,
            upstream_dirs=tuple(upstream_dirs), keep=keep, step=step, twice=twice,
            isolation=isolation, strict=strict, work_root=work_root, progress=progress,
            max_output_size=max_output_size, sample=sample, seed=seed, wheels=wheels,
            allow_network_for_environment=allow_network)
        report = api.rebuild(release, options)
    section = report.section(api.RebuildSection)
    if keep and section is not None and section.work_dir:
        note(f"work folders kept in {section.work_dir}")
    finish(report, fmt, no_color=no_color, target=release)
