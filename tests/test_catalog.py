"""Tests for the price catalog: every row of the source price table, and name lookup."""

from __future__ import annotations

import pytest

from generator import catalog

# name: (input $/Mtok, output $/Mtok, price date, tier) as in the source price table.
SOURCE_TABLE = {
    "gpt-4": (30.0, 60.0, "2023-03", "frontier"),
    "gpt-4-turbo": (10.0, 30.0, "2023-11", "frontier"),
    "gpt-4o": (5.0, 15.0, "2024-05", "frontier"),
    "gpt-4o-mini": (0.15, 0.60, "2024-07", "efficient"),
    "gemini-1.5-flash": (0.075, 0.30, "2024", "efficient"),
    "llama-3.3-70b": (0.20, 0.40, "2025 (hosted)", "open-weight"),
    "deepseek-v3": (0.27, 1.10, "2025", "open-weight"),
    "gpt-4-class-floor-2026": (0.10, 0.40, "2026", "open-weight"),
}


@pytest.mark.parametrize("name", SOURCE_TABLE)
def test_every_source_row_is_in_the_catalog(name: str) -> None:
    model = catalog.lookup(name)

    assert model is not None
    assert model.name == name
    assert (model.input_price, model.output_price, model.price_date, model.tier) == (
        SOURCE_TABLE[name]
    )
    assert "AI Inference Cost Reduction in 2026" in model.source
    # The source table gives no cache or batch discounts.
    assert model.cached_input_discount == 0
    assert model.batch_discount == 0


def test_entries_keep_file_order() -> None:
    assert [model.name for model in catalog.entries()] == list(SOURCE_TABLE)


def test_entries_are_well_formed() -> None:
    for model in catalog.entries():
        assert model.tier in {"frontier", "efficient", "open-weight"}
        assert model.input_price > 0 and model.output_price > 0
        assert 0 <= model.cached_input_discount <= 1 and 0 <= model.batch_discount <= 1
        assert model.source


def test_names_and_aliases_are_unique_ignoring_case() -> None:
    keys = [key.lower() for model in catalog.entries() for key in (model.name, *model.aliases)]

    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("written", ["GPT-4o-Mini", "gpt-4o-mini", "GPT-4O-MINI"])
def test_lookup_ignores_case(written: str) -> None:
    model = catalog.lookup(written)

    assert model is not None
    assert model.name == "gpt-4o-mini"


def test_lookup_finds_aliases() -> None:
    model = catalog.lookup("GPT4O-mini")

    assert model is not None
    assert model.name == "gpt-4o-mini"


def test_lookup_of_an_unknown_name_is_none() -> None:
    assert catalog.lookup("frontier") is None


def test_catalog_keys_are_lower_case_names_and_aliases() -> None:
    index = catalog.catalog()

    assert index["gpt-4o-mini"] is index["gpt4o-mini"]
    assert all(key == key.lower() for key in index)
    assert len({model.name for model in index.values()}) == len(SOURCE_TABLE)


def test_catalog_returns_a_copy() -> None:
    catalog.catalog().clear()

    assert catalog.lookup("gpt-4") is not None


def test_closest_suggests_canonical_names() -> None:
    assert catalog.closest("gpt-4o-mni")[0] == "gpt-4o-mini"
    assert catalog.closest("deepseek-v2")[0] == "deepseek-v3"
    assert catalog.closest("GEMINI-1.5-FLASH-LATES")[0] == "gemini-1.5-flash"


def test_closest_limits_and_deduplicates() -> None:
    suggestions = catalog.closest("gpt-4", n=2)

    assert len(suggestions) == 2
    assert len(set(suggestions)) == 2
    assert catalog.closest("zzzzzzzz") == []
