"""The `unitecon` command line: parse arguments, call the library, print the result."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click

from generator import __version__
from generator.errors import UnitEconError

# Exit statuses, the same for every command.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _output_option(help_text: str) -> Callable:
    return click.option(
        "-o",
        "--output",
        default="output",
        show_default=True,
        type=click.Path(path_type=Path),
        help=help_text,
    )


_force_option = click.option(
    "--force", is_flag=True, help="Replace workbooks even when they were edited."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, "--version", prog_name="unitecon", message="%(prog)s %(version)s"
)
def cli() -> None:
    """Turn AI product scenarios into live gross-margin workbooks."""


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check scenario files; write nothing."""
    from generator.api import validate as check

    failed = 0
    for path in files:
        try:
            scenario = check(path)
        except UnitEconError as error:
            click.echo(str(error), err=True)
            failed += 1
            continue
        cases = ", ".join(case.name for case in scenario.cases)
        click.echo(
            f"{path}: ok ({scenario.name}; {scenario.years} years from "
            f"{scenario.start_year}; cases: {cases})"
        )
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@_output_option("Folder for the workbooks.")
@_force_option
def generate(files: tuple[Path, ...], output: Path, force: bool) -> None:
    """Write one workbook per scenario file, OUTPUT/<file stem>.xlsx."""
    from generator import api
    from generator.tables import margin_table

    try:
        pairs = api.plan(files, output)
    except api.UsageError as error:
        raise click.UsageError(str(error)) from None
    failed = 0
    for source, target in pairs:
        outcome = api.generate_one(source, target, force=force)
        if outcome.ok:
            click.echo(margin_table(outcome))
            click.echo(f"wrote {outcome.output}", err=True)
        else:
            click.echo(outcome.error, err=True)
            failed += 1
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


@cli.command(short_help="Every scenario in DIR, in parallel, plus portfolio.xlsx.")
@click.argument(
    "folder", metavar="DIR", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@_output_option("Folder for the workbooks and portfolio.xlsx.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Worker processes.  [default: one per core]",
)
@click.option("-r", "--recursive", is_flag=True, help="Include sub-folders, mirrored under OUTPUT.")
@_force_option
def batch(folder: Path, output: Path, jobs: int | None, recursive: bool, force: bool) -> None:
    """Write a workbook for every *.yaml/*.yml in DIR, in parallel, plus OUTPUT/portfolio.xlsx.

    Files and folders whose names start with a dot are skipped. A bad file is
    reported and the others are still written (exit 1). DIR that is
    missing or not a folder, -o naming a file, -j below 1 and two files that would
    write the same workbook (a.yaml and a.yml, or a scenario named portfolio) are
    usage errors (exit 2) found before any work. Ctrl-C stops after the workbooks
    being written (exit 130).
    """
    from generator import api
    from generator.portfolio import FILE_NAME

    try:
        sources = api.scenario_files(folder, recursive=recursive)
        if not sources:
            hint = "" if recursive else " (-r includes sub-folders)"
            raise api.UsageError(f"{folder}: no *.yaml or *.yml files{hint}")
        run = api.batch(sources, output, jobs, force=force, root=folder)
    except api.UsageError as error:
        raise click.UsageError(str(error)) from None
    outcomes = []
    try:
        results = iter(run)  # starts the workers, before the progress bar's thread
        with _progress(len(run)) as report:
            for outcome in results:
                outcomes.append(outcome)
                report(outcome)
        portfolio = api.write_portfolio(outcomes, output, root=folder)
    except KeyboardInterrupt:
        outcomes += run.stop()
        written = sum(outcome.ok for outcome in outcomes)
        click.echo(
            f"interrupted: {written} of {len(run)} workbooks written; "
            f"{output / FILE_NAME} not updated",
            err=True,
        )
        sys.exit(EXIT_INTERRUPTED)
    except UnitEconError as error:  # the portfolio could not be written
        click.echo(str(error), err=True)
        sys.exit(EXIT_FAILED)
    click.echo(_portfolio_table(outcomes))
    failed = sum(not outcome.ok for outcome in outcomes)
    click.echo(
        f"wrote {len(outcomes) - failed} workbooks and {portfolio}"
        + (f"; {failed} file(s) failed" if failed else ""),
        err=True,
    )
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


@contextmanager
def _progress(total: int) -> Iterator[Callable]:
    """Report each outcome: a progress bar on a terminal, else one line per file."""
    if not sys.stderr.isatty():
        done = 0

        def line(outcome) -> None:
            nonlocal done
            done += 1
            text = f"wrote {outcome.output}" if outcome.ok else outcome.error
            click.echo(f"[{done}/{total}] {text}", err=True)

        yield line
        return
    from tqdm import tqdm

    with tqdm(total=total, unit="workbook", file=sys.stderr, dynamic_ncols=True) as bar:

        def tick(outcome) -> None:
            if not outcome.ok:
                bar.write(outcome.error, file=sys.stderr)
            bar.update()

        yield tick


def _portfolio_table(outcomes: list) -> str:
    from generator.tables import percent, render_table

    headers = (
        "file",
        "scenario",
        "years",
        "margin first year",
        "margin last year",
        "first year at target",
    )
    rows = []
    for outcome in sorted(outcomes, key=lambda o: o.source.parts):
        if outcome.ok:
            base = dict(outcome.margins)["base"]
            rows.append(
                (
                    str(outcome.source),
                    outcome.name,
                    f"{outcome.years[0]}-{outcome.years[-1]}",
                    percent(base[0]),
                    percent(base[-1]),
                    str(dict(outcome.first_at_target)["base"]),
                )
            )
        else:
            rows.append((str(outcome.source), "(failed)", "", "", "", ""))
    return "base-case gross margin\n" + render_table(headers, rows, right_aligned=(3, 4, 5))


@cli.command()
@click.argument("name")
def new(name: str) -> None:
    """Write a commented starter scenario NAME(.yaml); never overwrites."""
    from generator.starter import write_starter

    try:
        path = write_starter(name)
    except UnitEconError as error:
        click.echo(str(error), err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"wrote {path}; edit it, then run: unitecon generate {path}", err=True)


@cli.command()
def models() -> None:
    """List the price catalog ($ per million tokens)."""
    from generator.catalog import entries
    from generator.tables import render_table

    headers = ("name", "tier", "input $/Mtok", "output $/Mtok", "price date", "source")
    rows = [
        (m.name, m.tier, _price(m.input_price), _price(m.output_price), m.price_date, m.source)
        for m in entries()
    ]
    click.echo(render_table(headers, rows, right_aligned=(2, 3)))


def _price(value: float) -> str:
    # Cents where they suffice (30.00, 0.15); more digits only when the price has them (0.075).
    return f"{value:.2f}" if round(value, 2) == value else f"{value:g}"


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `unitecon` script: run the CLI and turn the outcome into an exit code."""
    try:
        # Not standalone, so Ctrl-C reaches us as Abort (click would exit 1 with "Aborted!").
        status = cli.main(args=argv, prog_name="unitecon", standalone_mode=False)
    except click.exceptions.Abort as abort:
        if isinstance(abort.__cause__, KeyboardInterrupt):
            _interrupted()
        click.echo("Aborted!", err=True)
        sys.exit(EXIT_FAILED)
    except KeyboardInterrupt:  # outside click's own handler, e.g. while importing
        _interrupted()
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except UnitEconError as error:  # a command that let a user error through: no traceback
        click.echo(str(error), err=True)
        sys.exit(EXIT_FAILED)
    # Commands end with ctx.exit(code) or return None; click hands back the code (or None).
    sys.exit(status if isinstance(status, int) else EXIT_OK)


def _interrupted() -> NoReturn:
    click.echo("interrupted", err=True)
    sys.exit(EXIT_INTERRUPTED)
