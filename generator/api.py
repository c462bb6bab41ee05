"""The library calls behind the commands: validate, generate and write workbooks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UnitEconError
from .scenario import Scenario, load

if TYPE_CHECKING:
    from .parallel import Batch


class UsageError(UnitEconError):
    """A problem with the command as a whole, found before any work (exit status 2)."""


@dataclass(frozen=True)
class Outcome:
    """What happened to one scenario file."""

    source: Path
    output: Path | None = None
    name: str = ""
    years: tuple[int, ...] = ()
    margins: tuple[tuple[str, tuple], ...] = ()  # (case, gross margin per year)
    first_at_target: tuple[tuple[str, object], ...] = ()
    error: str | None = None
    details: dict = field(default_factory=dict, compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None


def output_path(source: Path, out_dir: Path, root: Path | None = None) -> Path:
    """out_dir/<stem>.xlsx, mirroring the source's folder below `root` when given."""
    relative = source.parent.relative_to(root) if root is not None else Path()
    return out_dir / relative / f"{source.stem}.xlsx"


def plan(
    sources: Iterable[Path], out_dir: Path, root: Path | None = None, reserved: Iterable[Path] = ()
) -> list[tuple[Path, Path]]:
    """Pair each source with its output; raise UsageError where the outputs cannot work."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: the output folder is a file")
    taken: dict[Path, Path] = {Path(p).resolve(): Path(p) for p in reserved}
    pairs = []
    for source in sources:
        target = output_path(source, out_dir, root)
        key = target.resolve()
        if key in taken:
            raise UsageError(f"{source} and {taken[key]} would both write {target}")
        taken[key] = source
        pairs.append((source, target))
    return pairs


def validate(path: Path) -> Scenario:
    """Load and check one scenario; raise ScenarioErrors."""
    return load(path)


def write_workbook(scenario: Scenario, path: Path, *, force: bool = False) -> Path:
    """Build the workbook and write it atomically, unless that would lose someone's edits."""
    from .fingerprint import check_replaceable
    from .fsutil import remove_stale_temps, write_atomic
    from .workbook import build

    data = build(scenario)
    if not force and not _holds(path, data):  # the same bytes: an unedited earlier run
        check_replaceable(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from .errors import OutputError

        raise OutputError(f"{path.parent}: cannot create the folder: {exc.strerror}") from None
    remove_stale_temps(path.parent)
    write_atomic(path, data)
    return path


def _holds(path: Path, data: bytes) -> bool:
    """Whether `path` already holds exactly `data` (output is deterministic, so a re-run of an
    unchanged scenario over an unedited workbook needs no slower fingerprint check)."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def generate_one(source: Path, target: Path, *, force: bool = False) -> Outcome:
    """Validate, build and write one workbook; a user error becomes an Outcome, not a raise."""
    from . import model

    try:
        scenario = load(source)
        write_workbook(scenario, target, force=force)
    except UnitEconError as error:
        return Outcome(source=source, error=str(error))
    years = tuple(range(scenario.start_year, scenario.start_year + scenario.years))
    tables = {case.name: model.rows(scenario, case.name) for case in scenario.cases}
    margins = tuple((name, tuple(table["gross_margin"])) for name, table in tables.items())
    first = tuple(
        (name, model.first_year_at_target(scenario, name, table["gross_margin"]))
        for name, table in tables.items()
    )
    return Outcome(
        source=source,
        output=target,
        name=scenario.name,
        years=years,
        margins=margins,
        first_at_target=first,
        details=_details(scenario, tables),
    )


def _details(scenario: Scenario, tables: dict[str, dict]) -> dict:
    """Plain figures the portfolio summary needs (picklable, no workbook objects)."""
    from . import model

    base = tables["base"]
    last = scenario.years - 1
    worst = None
    for name, table in tables.items():
        margin = table["gross_margin"][last]
        if isinstance(margin, float) and (worst is None or margin < worst[1]):
            worst = (name, margin)
    revenue, inference = base["revenue_per_seat"][last], base["inference_cost_per_seat"][last]
    return {
        "start_year": scenario.start_year,
        "price_per_seat_month": scenario.base.pricing.price_per_seat_month,
        "target_gross_margin": scenario.base.target_gross_margin,
        "currency": scenario.currency,
        "worst_case": worst,
        "inference_share_last_year": model.ratio(inference, revenue),
    }


def generate(sources: Iterable[Path], out_dir: Path, *, force: bool = False) -> Iterator[Outcome]:
    """One workbook per scenario file, each independent of the others' failures."""
    for source, target in plan(sources, out_dir):
        yield generate_one(source, target, force=force)


def scenario_files(folder: Path, *, recursive: bool = False) -> list[Path]:
    """The *.yaml and *.yml files of a folder (and its sub-folders when recursive), by path."""
    from .parallel import scenario_files as found

    return found(folder, recursive=recursive)


def batch(
    sources: Iterable[Path],
    out_dir: Path,
    jobs: int | None = None,
    *,
    force: bool = False,
    root: Path | None = None,
) -> Batch:
    """Generate every scenario in worker processes; iterate the result for Outcomes as they finish.

    Outputs mirror each source's folder below `root` (when given). Raises UsageError,
    before any work, where outputs would clash (the portfolio workbook included).
    `stop()` on the result ends the workers early and returns the outcomes that
    finished meanwhile."""
    from .parallel import Batch, default_jobs
    from .portfolio import FILE_NAME

    if jobs is not None and jobs < 1:
        raise UsageError(f"jobs must be at least 1, not {jobs}")
    sources, out_dir = [Path(source) for source in sources], Path(out_dir)
    root = None if root is None else Path(root)
    portfolio = out_dir / FILE_NAME
    for source in sources:
        if output_path(source, out_dir, root).resolve() == portfolio.resolve():
            raise UsageError(
                f"{source}: its workbook would replace the portfolio workbook "
                f"{portfolio}; rename the file"
            )
    return Batch(plan(sources, out_dir, root), jobs or default_jobs(), force=force)


def write_portfolio(outcomes: Iterable[Outcome], out_dir: Path, root: Path | None = None) -> Path:
    """OUT/portfolio.xlsx: one row per scenario of a batch (a snapshot, written atomically)."""
    from .portfolio import write

    return write(outcomes, out_dir, root)
