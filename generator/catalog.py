"""The price catalog: named models with their list $/Mtok prices, dates and sources."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import cache

from generator.resources import read_catalog_text


@dataclass(frozen=True)
class CatalogModel:
    """One catalog row; prices are list prices in $ per million tokens."""

    name: str
    input_price: float
    output_price: float
    price_date: str
    tier: str
    source: str
    aliases: tuple[str, ...] = ()
    cached_input_discount: float = 0.0
    batch_discount: float = 0.0


def entries() -> list[CatalogModel]:
    """Every catalog model, in file order."""
    return list(_parsed())


@cache
def _parsed() -> tuple[CatalogModel, ...]:
    rows = json.loads(read_catalog_text())["models"]
    return tuple(
        CatalogModel(
            name=row["name"],
            input_price=float(row["input_price"]),
            output_price=float(row["output_price"]),
            price_date=row["price_date"],
            tier=row["tier"],
            source=row["source"],
            aliases=tuple(row.get("aliases", ())),
            cached_input_discount=float(row.get("cached_input_discount", 0)),
            batch_discount=float(row.get("batch_discount", 0)),
        )
        for row in rows
    )


def catalog() -> dict[str, CatalogModel]:
    """Catalog models keyed by lower-cased name and lower-cased alias."""
    return dict(_index())


@cache
def _index() -> dict[str, CatalogModel]:
    index: dict[str, CatalogModel] = {}
    for model in _parsed():
        for key in (model.name, *model.aliases):
            index[key.lower()] = model
    return index


def lookup(name: str) -> CatalogModel | None:
    """The catalog model called `name` (or one of its aliases), ignoring case."""
    return _index().get(name.lower())


def closest(name: str, n: int = 3) -> list[str]:
    """Up to `n` catalog names (as written) that look like `name`, best first."""
    keys = difflib.get_close_matches(name.lower(), _index().keys(), n=n * 2)
    names: list[str] = []
    for key in keys:
        # An alias suggests its model's canonical name; each model is offered once.
        canonical = _index()[key].name
        if canonical not in names:
            names.append(canonical)
    return names[:n]
