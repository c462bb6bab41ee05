"""Load a scenario file into one typed, immutable Scenario with every default and case resolved."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from . import catalog
from .errors import ScenarioError, ScenarioErrors
from .yamlload import Document, Key, parse, path_text

MAX_FILE_BYTES = 1_000_000
SHARE_TOLERANCE = 1e-6
CASE_NAME = re.compile(r"[a-z][a-z0-9_]{0,19}")
BASE = "base"


@dataclass(frozen=True)
class Model:
    """One model serving the product, with catalog prices filled in."""

    name: str
    share: float
    input_price: float
    output_price: float
    cached_input_discount: float
    batch_discount: float
    decline_factor: float | None  # None: follows the curve
    floor_input_price: float | None  # None: the curve's floor
    floor_output_price: float | None
    catalog_entry: catalog.CatalogModel | None


@dataclass(frozen=True)
class Case:
    """The base case or a named variant: every input the equations need."""

    name: str
    pricing: object  # schema.Pricing
    usage: object  # schema.Usage
    price_curve: object  # schema.PriceCurve
    costs: object  # schema.Costs
    seats: object | None  # schema.Seats
    target_gross_margin: float
    models: tuple[Model, ...]
    overrides: frozenset[Key]  # ('usage', 'reasoning_multiplier'), ('models', 1, 'share'), ...

    def decline_factor(self, k: int) -> float:
        """The curve's factor for year index k >= 1."""
        factor = self.price_curve.annual_decline_factor
        if isinstance(factor, tuple):
            return factor[min(k, len(factor)) - 1]
        return factor


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: the cases in order (base first) and the sensitivity axes."""

    name: str
    start_year: int
    years: int
    currency: str
    notes: str
    cases: tuple[Case, ...]
    sensitivity_year: int
    sensitivity_year_given: bool
    decline_factors: tuple[float, ...]
    reasoning_multipliers: tuple[float, ...]
    source: Path
    sha256: str
    defaults: tuple[tuple[str, object], ...]  # (field path, default value) not in the file
    spec: object  # schema.ScenarioSpec, the file as written

    @property
    def base(self) -> Case:
        return self.cases[0]

    def case(self, name: str) -> Case:
        for case in self.cases:
            if case.name == name:
                return case
        raise KeyError(name)


def load(path: Path | str) -> Scenario:
    """Read and validate one scenario file; raise ScenarioErrors listing every problem."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            # Never more than the limit allows: the path may be /dev/zero or a huge file.
            raw = file.read(MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        raise ScenarioErrors([ScenarioError(path, "", None, "expected a file, found a folder")])
    except FileNotFoundError:
        raise ScenarioErrors(
            [ScenarioError(path, "", None, "expected a scenario file, found no such file")]
        )
    except OSError as exc:
        raise ScenarioErrors([ScenarioError(path, "", None, f"cannot read: {exc.strerror}")])
    return loads(raw, path)


def loads(raw: bytes, path: Path) -> Scenario:
    """Validate scenario bytes; `path` names the file in messages."""
    if len(raw) > MAX_FILE_BYTES:
        found = f"{len(raw):,}" if len(raw) > MAX_FILE_BYTES + 1 else "more"
        raise ScenarioErrors(
            [
                ScenarioError(
                    path, "", None, f"expected at most {MAX_FILE_BYTES:,} bytes, found {found}"
                )
            ]
        )
    text = _decode(raw, path)
    doc = parse(text, path)
    if not isinstance(doc.data, dict):
        if doc.data is None:
            found = "an empty file" if not text.strip() else "no fields (only comments or null)"
        else:
            found = _kind(doc.data)
        raise ScenarioErrors(
            [
                ScenarioError(
                    path,
                    "",
                    doc.line(()) or 1,
                    f"expected a mapping of scenario fields, found {found}",
                )
            ]
        )
    spec = _validate(doc, path)
    return _resolve(spec, doc, path, hashlib.sha256(raw).hexdigest())


def _decode(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioErrors(
            [
                ScenarioError(
                    path, "", line, f"expected UTF-8 text, found the byte 0x{raw[exc.start]:02x}"
                )
            ]
        ) from None


def _validate(doc: Document, path: Path):
    from pydantic import ValidationError

    from .schema import ScenarioSpec
    from .validation_messages import describe

    try:
        return ScenarioSpec.model_validate(doc.data)
    except ValidationError as exc:
        raise ScenarioErrors(describe(exc.errors(), doc, path)) from None


class _Problems:
    def __init__(self, path: Path, doc: Document):
        self.path, self.doc, self.errors = path, doc, []

    def add(self, key: Key, problem: str, line_key: Key | None = None) -> None:
        line = self.doc.line(line_key if line_key is not None else key)
        self.errors.append(ScenarioError(self.path, path_text(key), line, problem))


def _resolve(spec, doc: Document, path: Path, sha256: str) -> Scenario:
    problems = _Problems(path, doc)
    models = _resolve_models(spec.models, problems)
    by_name = {model.name.lower(): index for index, model in enumerate(models)}
    base = Case(
        BASE,
        spec.pricing,
        spec.usage,
        spec.price_curve,
        spec.costs,
        spec.seats,
        spec.target_gross_margin,
        models,
        frozenset(),
    )
    cases = [base]
    for name, case_spec in spec.cases.items():
        case = _resolve_case(name, case_spec, base, by_name, problems)
        if case is not None:
            cases.append(case)
    last_year = spec.start_year + spec.years - 1
    year = spec.sensitivity.year
    if year is not None and not spec.start_year <= year <= last_year:
        problems.add(
            ("sensitivity", "year"),
            f"expected a year from {spec.start_year} to {last_year}, found {year}",
        )
    if problems.errors:
        raise ScenarioErrors(problems.errors)
    return Scenario(
        name=spec.name,
        start_year=spec.start_year,
        years=spec.years,
        currency=spec.currency,
        notes=spec.notes,
        cases=tuple(cases),
        sensitivity_year=last_year if year is None else year,
        sensitivity_year_given=year is not None,
        decline_factors=spec.sensitivity.decline_factors,
        reasoning_multipliers=spec.sensitivity.reasoning_multipliers,
        source=path,
        sha256=sha256,
        defaults=tuple(_defaults(spec)),
        spec=spec,
    )


def _resolve_models(specs, problems: _Problems) -> tuple[Model, ...]:
    seen: dict[str, int] = {}
    models = []
    for index, spec in enumerate(specs):
        key = spec.name.lower()
        if key in seen:
            problems.add(
                ("models", index, "name"),
                f"expected unique model names, found {spec.name!r} again "
                f"(also models[{seen[key]}])",
            )
        seen.setdefault(key, index)
        entry = catalog.lookup(spec.name)
        if entry is None and (spec.input_price is None or spec.output_price is None):
            missing = " and ".join(
                f for f in ("input_price", "output_price") if getattr(spec, f) is None
            )
            near = catalog.closest(spec.name)
            hint = f" (closest catalog names: {', '.join(near)})" if near else ""
            problems.add(
                ("models", index, "name"),
                f"expected a catalog model or {missing}, found unknown model {spec.name!r}{hint}",
            )
            entry_in = entry_out = 0.0
        else:
            entry_in = entry.input_price if entry else 0.0
            entry_out = entry.output_price if entry else 0.0
        share = spec.share
        if share is None:
            if len(specs) > 1:
                problems.add(
                    ("models", index, "share"),
                    "expected a share (required when there are several models), found nothing",
                    line_key=("models", index),
                )
            share = 1.0 if len(specs) == 1 else 0.0
        models.append(
            Model(
                name=spec.name,
                share=share,
                input_price=_first(spec.input_price, entry_in),
                output_price=_first(spec.output_price, entry_out),
                cached_input_discount=_first(
                    spec.cached_input_discount, entry.cached_input_discount if entry else 0.0
                ),
                batch_discount=_first(spec.batch_discount, entry.batch_discount if entry else 0.0),
                decline_factor=spec.annual_decline_factor,
                floor_input_price=spec.floor_input_price,
                floor_output_price=spec.floor_output_price,
                catalog_entry=entry,
            )
        )
    if not problems.errors:
        _check_shares(models, ("models",), problems)
    return tuple(models)


def _check_shares(models, key: Key, problems: _Problems) -> None:
    total = sum(model.share for model in models)
    if abs(total - 1) > SHARE_TOLERANCE:
        shares = " + ".join(f"{model.share:g}" for model in models)
        problems.add(key, f"expected model shares summing to 1, found {shares} = {total:.6g}")


_SECTIONS = ("pricing", "usage", "price_curve", "costs", "seats")


def _resolve_case(name: str, spec, base: Case, by_name: dict[str, int], problems: _Problems):
    at = ("cases", name)
    if name == BASE or not CASE_NAME.fullmatch(name):
        problems.add(
            at,
            f"expected a case name matching [a-z][a-z0-9_]{{0,19}} other than "
            f"'base', found {name!r}",
        )
        return None
    overrides: set[Key] = set()
    sections = {}
    for section in _SECTIONS:
        given = getattr(spec, section)
        current = getattr(base, section)
        if given is None:
            sections[section] = current
            continue
        if current is None:
            problems.add(
                at + (section,),
                "expected no seats override (the base case gives no seats), found one",
            )
            return None
        changes = given.model_dump(exclude_none=True)
        overrides.update((section, field) for field in changes)
        sections[section] = current.model_copy(update=changes)
    target = base.target_gross_margin
    if spec.target_gross_margin is not None:
        target = spec.target_gross_margin
        overrides.add(("target_gross_margin",))
    models = list(base.models)
    named: dict[int, str] = {}
    for model_name, fields in (spec.models or {}).items():
        index = by_name.get(model_name.lower())
        if index is not None and index in named:
            problems.add(
                at + ("models", model_name),
                f"expected each model once, found {model_name!r} again (also {named[index]!r})",
            )
            continue
        if index is not None:
            named[index] = model_name
        if index is None:
            import difflib

            names = [model.name for model in base.models]
            near = difflib.get_close_matches(model_name, names, n=3, cutoff=0.5)
            hint = f" (did you mean {', '.join(repr(n) for n in near)}?)" if near else ""
            problems.add(
                at + ("models", model_name),
                f"expected one of the scenario's models, found {model_name!r}{hint}",
            )
            continue
        changes = fields.model_dump(exclude_none=True)
        renamed = {_MODEL_FIELD.get(field, field): value for field, value in changes.items()}
        models[index] = _replace(models[index], renamed)
        overrides.update(("models", index, _MODEL_FIELD.get(f, f)) for f in changes)
    if spec.models:
        _check_shares(models, at + ("models",), problems)
    return Case(
        name,
        sections["pricing"],
        sections["usage"],
        sections["price_curve"],
        sections["costs"],
        sections["seats"],
        target,
        tuple(models),
        frozenset(overrides),
    )


_MODEL_FIELD = {"annual_decline_factor": "decline_factor"}


def _replace(model: Model, changes: dict) -> Model:
    from dataclasses import replace

    return replace(model, **changes)


def _first(given: float | None, fallback: float) -> float:
    return fallback if given is None else given


def _kind(value: object) -> str:
    if isinstance(value, tuple):
        return "a list"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    return f"the value {value!r}"


def _defaults(spec) -> list[tuple[str, object]]:
    """Every optional field the file left out, with the default used."""
    from pydantic import BaseModel

    out: list[tuple[str, object]] = []

    def walk(model: BaseModel, prefix: str) -> None:
        for field, info in type(model).model_fields.items():
            value = getattr(model, field)
            where = f"{prefix}{field}"
            left_out = field not in model.model_fields_set and not info.is_required()
            if left_out and value is not None and not isinstance(value, (BaseModel, dict)):
                out.append((where, value))
            if isinstance(value, BaseModel) and field != "cases":
                walk(value, where + ".")

    walk(spec, "")
    return out
