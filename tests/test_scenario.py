"""Tests for loading scenarios: defaults, YAML 1.2, the catalog, cases, sensitivity, messages."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import pytest

from generator.errors import ScenarioError, ScenarioErrors
from generator.scenario import load, loads
from generator.schema import DEFAULT_DECLINE_FACTORS, DEFAULT_REASONING_MULTIPLIERS

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))

MINIMAL = """\
name: Minimal
pricing:
  price_per_seat_month: 40
usage:
  queries_per_seat_month: 300
  input_tokens_per_call: 6000
  output_tokens_per_call: 800
models:
  - name: gpt-4o-mini
"""

TWO_MODELS = """\
name: Two models
start_year: 2027
years: 4
pricing:
  price_per_seat_month: 40
usage:
  queries_per_seat_month: 300
  input_tokens_per_call: 6000
  output_tokens_per_call: 800
  reasoning_multiplier: 5
models:
  - name: Frontier
    share: 0.3
    input_price: 3.0
    output_price: 15.0
    cached_input_discount: 0.9
  - name: gpt-4o-mini
    share: 0.7
seats:
  start: 500
  annual_growth: 0.8
"""


def scenario(text: str, name: str = "acme.yaml"):
    return loads(text.encode(), Path(name))


def errors_of(text: str, name: str = "acme.yaml") -> list[ScenarioError]:
    with pytest.raises(ScenarioErrors) as caught:
        scenario(text, name)
    return caught.value.errors


def messages(text: str) -> list[str]:
    return [str(error) for error in errors_of(text)]


def line_of(text: str, needle: str, after: str = "") -> int:
    """The 1-based line of the first `needle` (after the first `after`) in `text`."""
    start = text.index(after) if after else 0
    return text.count("\n", 0, text.index(needle, start)) + 1


# --- defaults -------------------------------------------------------------------------------


def test_every_default_of_spec_section_2_is_filled_in() -> None:
    loaded = scenario(MINIMAL)
    base = loaded.base

    assert (loaded.start_year, loaded.years, loaded.currency, loaded.notes) == (2026, 5, "USD", "")
    assert base.pricing.annual_price_change == 0
    assert base.pricing.payment_fee_rate == 0
    usage = base.usage
    assert usage.agent_calls_per_query == 1
    assert usage.reasoning_multiplier == 1
    assert (usage.annual_usage_growth, usage.annual_token_growth) == (0, 0)
    assert (usage.cache_hit_rate, usage.batch_share) == (0, 0)
    assert base.price_curve.annual_decline_factor == 4
    assert (base.price_curve.floor_input_price, base.price_curve.floor_output_price) == (0, 0)
    assert base.costs.other_cogs_per_seat_month == 0
    assert base.costs.annual_other_cogs_change == 0
    assert base.target_gross_margin == 0.70
    assert base.seats is None
    assert [case.name for case in loaded.cases] == ["base"]
    assert loaded.sensitivity_year == 2030 and not loaded.sensitivity_year_given
    assert loaded.decline_factors == (1, 1.5, 2, 3, 4, 6, 10) == DEFAULT_DECLINE_FACTORS
    assert loaded.reasoning_multipliers == (1, 2, 5, 10, 20, 50) == DEFAULT_REASONING_MULTIPLIERS
    (model,) = base.models
    assert model.share == 1  # the only model
    assert (model.cached_input_discount, model.batch_discount) == (0, 0)
    assert model.decline_factor is None  # follows the curve
    assert model.floor_input_price is None and model.floor_output_price is None


def test_defaults_used_are_listed_for_the_notes_sheet() -> None:
    defaults = dict(scenario(MINIMAL).defaults)

    assert defaults["start_year"] == 2026
    assert defaults["usage.reasoning_multiplier"] == 1
    assert defaults["price_curve.annual_decline_factor"] == 4
    assert defaults["target_gross_margin"] == 0.7
    assert "pricing.price_per_seat_month" not in defaults  # given in the file


def test_loaded_scenario_is_immutable() -> None:
    loaded = scenario(MINIMAL)

    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.name = "other"  # type: ignore[misc]
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises its ValidationError
        loaded.base.usage.reasoning_multiplier = 2


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_example_scenario_loads(path: Path) -> None:
    loaded = load(path)

    assert loaded.source == path
    assert loaded.cases[0].name == "base"


# --- YAML 1.2 -------------------------------------------------------------------------------


def test_yes_no_on_off_are_text_in_yaml_1_2() -> None:
    loaded = scenario(MINIMAL.replace("name: Minimal", "name: no") + "notes: on\n")

    assert loaded.name == "no"
    assert loaded.notes == "on"


def test_currency_no_fails_as_text_not_as_a_boolean() -> None:
    (message,) = messages(MINIMAL + "currency: no\n")

    assert message == (
        "acme.yaml:10: currency: expected three capital letters such as USD, found the text 'no'"
    )


def test_true_is_a_boolean_and_refused_where_a_number_belongs() -> None:
    (message,) = messages(MINIMAL.replace("price_per_seat_month: 40", "price_per_seat_month: True"))

    assert message.endswith(
        "pricing.price_per_seat_month: expected a number, found True (a boolean)"
    )


def test_core_schema_numbers_and_texts() -> None:
    text = (
        MINIMAL.replace("price_per_seat_month: 40", "price_per_seat_month: 0x28")
        .replace("name: Minimal", "name: 2026-01-01")
        .replace("queries_per_seat_month: 300", "queries_per_seat_month: 0o454")
    )
    loaded = scenario(text)

    assert loaded.name == "2026-01-01"  # no timestamps in YAML 1.2: a date is text
    assert loaded.base.pricing.price_per_seat_month == 40
    assert loaded.base.usage.queries_per_seat_month == 300


def test_digit_groups_are_text_not_a_number() -> None:
    (message,) = messages(MINIMAL.replace("300", "1_000"))

    assert message == (
        "acme.yaml:5: usage.queries_per_seat_month: expected a number, found the text '1_000'"
    )


def test_yaml_1_1_directive_is_refused() -> None:
    (message,) = messages("%YAML 1.1\n---\n" + MINIMAL)

    assert message == "acme.yaml:1: expected YAML 1.2, found a %YAML 1.1 directive"


def test_yaml_1_2_directive_is_accepted() -> None:
    assert scenario("%YAML 1.2\n---\n" + MINIMAL).name == "Minimal"


def test_anchors_and_aliases_may_share_overrides_without_warnings() -> None:
    text = TWO_MODELS + (
        "cases:\n"
        "  bear: &heavy\n"
        "    usage: {reasoning_multiplier: 20}\n"
        "  worse: *heavy\n"
        "notes: &a first\n"
        "currency: &a EUR\n"  # an anchor may be reused in YAML 1.2
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = scenario(text)

    assert [c.usage.reasoning_multiplier for c in loaded.cases] == [5, 20, 20]
    assert loaded.currency == "EUR"


def test_windows_line_endings_and_a_byte_order_mark_load() -> None:
    raw = ("\ufeff" + TWO_MODELS + "notes: |\n  line one\n  line two\n").replace("\n", "\r\n")

    loaded = loads(raw.encode(), Path("windows.yaml"))

    assert loaded.notes == "line one\nline two\n"


def test_a_key_spelled_with_escapes_is_shown_escaped() -> None:
    errors = errors_of(MINIMAL + '"evil\\x1b[2J": 1\n')

    (error,) = [e for e in errors if "unknown key" in e.problem]
    assert error.path == "'evil\\x1b[2J'"
    assert "\x1b" not in str(error)


# --- the catalog ----------------------------------------------------------------------------


def test_catalog_names_match_case_insensitively_and_are_shown_as_written() -> None:
    loaded = scenario(MINIMAL.replace("name: gpt-4o-mini", "name: GPT-4o-MINI"))

    (model,) = loaded.base.models
    assert model.name == "GPT-4o-MINI"
    assert (model.input_price, model.output_price) == (0.15, 0.60)
    assert model.catalog_entry.name == "gpt-4o-mini"


def test_catalog_alias_matches() -> None:
    loaded = scenario(MINIMAL.replace("name: gpt-4o-mini", "name: GPT4O"))

    assert loaded.base.models[0].catalog_entry.name == "gpt-4o"


def test_prices_in_the_scenario_win_over_the_catalog() -> None:
    text = MINIMAL.replace("- name: gpt-4o-mini", "- name: gpt-4o\n    input_price: 1.5")

    (model,) = scenario(text).base.models

    assert model.input_price == 1.5
    assert model.output_price == 15  # still the catalog's


def test_unknown_model_without_prices_lists_closest_catalog_names() -> None:
    (error,) = errors_of(MINIMAL.replace("gpt-4o-mini", "gpt-4-mini"))

    assert (error.path, error.line) == ("models[0].name", 9)
    assert "found unknown model 'gpt-4-mini' (closest catalog names: " in error.problem
    assert "gpt-4o-mini" in error.problem


def test_unknown_model_with_both_prices_is_fine() -> None:
    text = MINIMAL.replace(
        "- name: gpt-4o-mini", "- name: in-house\n    input_price: 1\n    output_price: 2"
    )

    (model,) = scenario(text).base.models

    assert model.catalog_entry is None
    assert (model.input_price, model.output_price) == (1, 2)


def test_model_names_must_be_unique_ignoring_case() -> None:
    text = TWO_MODELS.replace(
        "name: gpt-4o-mini", "name: FRONTIER\n    input_price: 1\n    output_price: 2"
    )

    (error,) = errors_of(text)

    assert (error.path, error.line) == ("models[1].name", line_of(text, "- name: FRONTIER"))
    assert "found 'FRONTIER' again (also models[0])" in error.problem


def test_several_models_each_need_a_share() -> None:
    text = TWO_MODELS.replace("    share: 0.7\n", "")

    (error,) = errors_of(text)

    assert str(error) == (
        f"acme.yaml:{line_of(text, '- name: gpt-4o-mini')}: models[1].share: expected a share "
        "(required when there are several models), found nothing"
    )


def test_shares_sum_within_tolerance() -> None:
    text = TWO_MODELS.replace("share: 0.3", "share: 0.3000000001")

    assert scenario(text).base.models[0].share == 0.3000000001


# --- cases ----------------------------------------------------------------------------------

CASES = (
    TWO_MODELS
    + """\
cases:
  bull:
    price_curve: {annual_decline_factor: [10, 6]}
    seats: {annual_growth: 1.5}
  bear:
    usage: {reasoning_multiplier: 20}
    target_gross_margin: 0.6
    models:
      FRONTIER: {share: 0.5, annual_decline_factor: 1.5, floor_output_price: 2}
      GPT-4o-Mini: {share: 0.5}
"""
)


def test_cases_come_base_first_then_in_file_order() -> None:
    assert [case.name for case in scenario(CASES).cases] == ["base", "bull", "bear"]


def test_case_overrides_apply_and_everything_else_is_inherited() -> None:
    loaded = scenario(CASES)
    base, bull, bear = loaded.cases

    assert bear.usage.reasoning_multiplier == 20
    assert bear.usage.model_dump(exclude={"reasoning_multiplier"}) == base.usage.model_dump(
        exclude={"reasoning_multiplier"}
    )
    assert bear.target_gross_margin == 0.6 and bull.target_gross_margin == 0.7
    assert bear.pricing == base.pricing and bear.price_curve == base.price_curve
    assert bull.price_curve.annual_decline_factor == (10, 6)
    assert bull.seats.start == 500 and bull.seats.annual_growth == 1.5
    assert bull.models == base.models


def test_case_model_overrides_match_names_ignoring_case() -> None:
    base, _, bear = scenario(CASES).cases

    frontier, mini = bear.models
    assert frontier.name == "Frontier"  # shown as written in the models list
    assert (frontier.share, frontier.decline_factor, frontier.floor_output_price) == (0.5, 1.5, 2)
    assert frontier.input_price == base.models[0].input_price  # inherited
    assert mini.share == 0.5 and mini.input_price == 0.15


def test_case_records_what_it_overrides() -> None:
    _, bull, bear = scenario(CASES).cases

    assert bull.overrides == {("price_curve", "annual_decline_factor"), ("seats", "annual_growth")}
    assert bear.overrides == {
        ("usage", "reasoning_multiplier"),
        ("target_gross_margin",),
        ("models", 0, "share"),
        ("models", 0, "decline_factor"),
        ("models", 0, "floor_output_price"),
        ("models", 1, "share"),
    }


def test_case_shares_must_still_sum_to_one() -> None:
    text = CASES.replace("GPT-4o-Mini: {share: 0.5}", "GPT-4o-Mini: {share: 0.4}")

    (error,) = errors_of(text)

    assert str(error) == (
        f"acme.yaml:{line_of(text, 'models:', after='bear:')}: cases.bear.models: expected "
        "model shares summing to 1, found 0.5 + 0.4 = 0.9"
    )


def test_case_naming_a_model_twice_ignoring_case_is_refused() -> None:
    text = CASES.replace(
        "      GPT-4o-Mini: {share: 0.5}\n",
        "      GPT-4o-Mini: {share: 0.5}\n      frontier: {share: 0.9}\n",
    )

    errors = errors_of(text)

    (error,) = [e for e in errors if "again" in e.problem]
    assert (error.path, error.line) == ("cases.bear.models.frontier", line_of(text, "frontier:"))
    assert "found 'frontier' again (also 'FRONTIER')" in error.problem


def test_case_unknown_model_suggests_a_scenario_model() -> None:
    errors = errors_of(CASES.replace("GPT-4o-Mini:", "gpt-4o-mimi:"))

    (error,) = [e for e in errors if e.path.endswith("mimi")]
    assert error.path == "cases.bear.models.gpt-4o-mimi"
    assert "did you mean 'gpt-4o-mini'?" in error.problem


# --- sensitivity ----------------------------------------------------------------------------


def test_sensitivity_year_defaults_to_the_last_year() -> None:
    loaded = scenario(TWO_MODELS)

    assert loaded.sensitivity_year == 2030  # 2027 + 4 - 1
    assert not loaded.sensitivity_year_given


def test_sensitivity_given() -> None:
    text = TWO_MODELS + "sensitivity:\n  year: 2027\n  decline_factors: [2, 8]\n"

    loaded = scenario(text)

    assert (loaded.sensitivity_year, loaded.sensitivity_year_given) == (2027, True)
    assert loaded.decline_factors == (2, 8)
    assert loaded.reasoning_multipliers == DEFAULT_REASONING_MULTIPLIERS


def test_sensitivity_year_outside_the_horizon() -> None:
    text = TWO_MODELS + "sensitivity:\n  year: 2031\n"

    (message,) = messages(text)

    assert message == (
        f"acme.yaml:{line_of(text, 'year: 2031')}: sensitivity.year: expected a year from 2027 "
        "to 2030, found 2031"
    )


# --- messages -------------------------------------------------------------------------------


def test_message_format_is_file_line_path_expected_found() -> None:
    (message,) = messages(MINIMAL.replace("price_per_seat_month: 40", "price_per_seat_month: 0"))

    assert message == (
        "acme.yaml:3: pricing.price_per_seat_month: expected a number > 0 and <= 1e6, found 0"
    )


def test_message_without_a_line_leaves_it_out() -> None:
    error = ScenarioError(Path("acme.yaml"), "models", None, "expected x, found y")

    assert str(error) == "acme.yaml: models: expected x, found y"
    assert str(ScenarioError(Path("a.yaml"), "", 3, "p")) == "a.yaml:3: p"


def test_missing_key_gives_its_full_path_and_its_parents_line() -> None:
    (error,) = errors_of(MINIMAL.replace("  input_tokens_per_call: 6000\n", ""))

    assert (error.path, error.line) == ("usage.input_tokens_per_call", 4)
    assert error.problem == "expected a value (required), found nothing"


def test_missing_top_level_key_gives_the_first_line_of_the_document() -> None:
    (error,) = errors_of("# a comment\n" + MINIMAL.replace("name: Minimal\n", ""))

    assert (error.path, error.line) == ("name", 2)


def test_unknown_key_suggests_the_closest_field() -> None:
    (message,) = messages(MINIMAL + "target_gross_margn: 0.6\n")

    assert message == (
        "acme.yaml:10: target_gross_margn: unknown key (did you mean 'target_gross_margin'?)"
    )


def test_unknown_key_without_a_close_one_lists_the_valid_keys() -> None:
    (error,) = errors_of(
        MINIMAL.replace(
            "  output_tokens_per_call: 800\n", "  output_tokens_per_call: 800\n  zzz: 1\n"
        )
    )

    assert error.problem.startswith("unknown key (expected one of: queries_per_seat_month, ")


def test_several_problems_are_reported_together_in_file_order() -> None:
    text = (
        MINIMAL.replace("price_per_seat_month: 40", "price_per_seat_month: -1").replace(
            "output_tokens_per_call: 800", "output_tokens_per_call: lots"
        )
        + "years: 40\n"
    )

    errors = errors_of(text)

    assert [(e.path, e.line) for e in errors] == [
        ("pricing.price_per_seat_month", 3),
        ("usage.output_tokens_per_call", 7),
        ("years", 10),
    ]


def test_at_most_twenty_errors_are_reported() -> None:
    text = MINIMAL + "".join(f"unknown_{i}: 1\n" for i in range(30))

    with pytest.raises(ScenarioErrors) as caught:
        scenario(text)

    assert len(caught.value.errors) == 20
    lines = str(caught.value).splitlines()
    assert len(lines) == 21
    assert lines[-1] == "acme.yaml: (more errors not shown; fix these first)"


def test_missing_file_and_folder_give_one_clear_line(tmp_path: Path) -> None:
    for path, problem in (
        (tmp_path / "nope.yaml", "found no such file"),
        (tmp_path, "expected a file, found a folder"),
    ):
        with pytest.raises(ScenarioErrors) as caught:
            load(path)

        assert str(caught.value).startswith(f"{path}: ")
        assert problem in str(caught.value)
        assert "\n" not in str(caught.value)


# --- hostile bytes ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.1", "1.3", "2.0"])
def test_any_yaml_version_but_1_2_is_refused_with_one_line(version: str) -> None:
    (message,) = messages(f"%YAML {version}\n---\n" + MINIMAL)

    assert message == f"acme.yaml:1: expected YAML 1.2, found a %YAML {version} directive"


def test_a_document_of_many_tiny_values_is_stopped_while_it_is_read() -> None:
    # Composing all of it first would take ruamel a minute and hundreds of MB for 1 MB.
    (message,) = messages(MINIMAL + "notes: [" + "1," * 40_000 + "1]\n")

    assert message == "acme.yaml:10: expected a scenario of at most 30,000 values, found more"


def test_aliases_expanding_past_the_limit_are_an_alias_bomb() -> None:
    text = (
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{name}: &{name} [{', '.join([f'*{prev}'] * 10)}]\n"
            for prev, name in zip("abcdef", "bcdefg")
        )
        + MINIMAL
    )

    (error,) = errors_of(text)

    assert "(an alias bomb?)" in error.problem


def test_raw_control_character_gives_its_line() -> None:
    (message,) = messages(MINIMAL.replace("Minimal", "Mini\x1bmal"))

    assert message == "acme.yaml:1: expected printable text, found the control character U+001B"


def test_mutated_files_raise_scenario_errors_and_nothing_else() -> None:
    import random

    rng = random.Random(6)
    pieces = [
        "",
        "~",
        "true",
        "no",
        "[]",
        "{}",
        "-1",
        "1e400",
        ".nan",
        "&a x",
        "*a",
        "*zz",
        "!!str",
        "!x",
        "[",
        "]",
        "{",
        "}",
        ":",
        "- ",
        "'",
        '"',
        "\t",
        "\n",
        "#",
        "|",
        ">",
        "---",
        "...",
        "?",
        ",",
        "1_0",
        "0x1F",
        "2026-01-01",
        "=",
        "<<: *a",
        "\u2028",
        "\ufeff",
        "\\x00",
        "%YAML 1.1\n",
    ]
    texts = [path.read_text(encoding="utf-8") for path in SCENARIOS]
    outcomes = {"valid": 0, "invalid": 0}
    for attempt in range(300):
        lines = rng.choice(texts).split("\n")
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(lines))
            column = rng.randint(0, len(lines[at]))
            if rng.random() < 0.7:
                lines[at] = lines[at][:column] + rng.choice(pieces) + lines[at][column:]
            else:
                del lines[at]
        raw = "\n".join(lines).encode("utf-8", "surrogatepass")
        try:
            loads(raw, Path(f"mutant{attempt}.yaml"))
        except ScenarioErrors as errors:
            outcomes["invalid"] += 1
            assert all(e.file == Path(f"mutant{attempt}.yaml") for e in errors.errors)
            continue
        outcomes["valid"] += 1

    assert outcomes["valid"] and outcomes["invalid"]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_file_is_read_no_further_than_the_size_limit() -> None:
    with pytest.raises(ScenarioErrors) as caught:
        load("/dev/zero")

    assert str(caught.value) == "/dev/zero: expected at most 1,000,000 bytes, found more"


def test_a_file_over_the_size_limit_gives_its_size(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(MINIMAL.encode() + b"#" * 1_500_000)

    with pytest.raises(ScenarioErrors) as caught:
        load(big)

    assert "expected at most 1,000,000 bytes, found " in str(caught.value)
