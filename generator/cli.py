"""The `unitecon` command line: parse arguments, call the library, print the result."""

from __future__ import annotations

import sys
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
        click.echo(f"{path}: ok ({scenario.name}; {scenario.years} years from "
                   f"{scenario.start_year}; cases: {cases})")
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", default="output", show_default=True,
              type=click.Path(path_type=Path), help="Folder for the workbooks.")
@click.option("--force", is_flag=True, help="Replace workbooks even when they were edited.")
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
