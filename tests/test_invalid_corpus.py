"""Every file in tests/invalid/ is refused by `validate` and `generate`: exit 1, a message
naming the file, the field path and the line, no traceback, nothing written, no hang, no bomb."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).parent
INVALID = HERE / "invalid"
SCENARIOS = HERE.parent / "scenarios"

TIMEOUT_SECONDS = 10
# Python with pydantic and ruamel maps ~60 MB; generating a workbook (pandas, numpy and
# openpyxl loaded) ~250 MB. 512 MiB only stops bombs, never a normal run.
MEMORY_BYTES = 512 * 2**20

# file stem -> (field path or None, line or None, part of the message).
# A None path means the error is about the file as a whole (syntax, encoding, size).
EXPECTED: dict[str, tuple[str | None, int | None, str]] = {
    # YAML traps
    "empty": (None, 1, "expected a mapping of scenario fields, found an empty file"),
    "only_comments": (None, 1, "found no fields"),
    "top_level_list": (None, 2, "expected a mapping of scenario fields, found a list"),
    "top_level_scalar": (None, 2, "found the text 'Acme Code Agent'"),
    "tabs_indent": (None, 6, "indent with spaces"),
    "duplicate_key": ("pricing.price_per_seat_month", 5, "found a duplicate (first on line 4)"),
    "duplicate_top_level_key": ("usage", 11, "found a duplicate (first on line 5)"),
    "unclosed_bracket": (None, 13, "invalid YAML: while parsing a flow sequence"),
    "bad_indentation": (None, 7, "invalid YAML: mapping values are not allowed here"),
    "multiple_documents": (None, 11, "expected a single document"),
    "yaml_1_1_directive": (None, 2, "expected YAML 1.2, found a %YAML 1.1 directive"),
    "non_utf8_bytes": (None, 2, "expected UTF-8 text, found the byte 0xe9"),
    "binary_garbage": (None, 2, "expected UTF-8 text, found the byte 0x80"),
    "utf16_text": (None, 1, "expected UTF-8 text, found the byte 0xff"),
    "deep_nesting": (None, 11, "expected at most 32 levels of nesting"),
    "deep_nesting_mappings": (None, 43, "expected at most 32 levels of nesting"),
    "alias_bomb": ("f[0][3][3][7][2][1]", 2, "found more than 100000 values (an alias bomb?)"),
    "python_tag": ("name", 2, "found the tag !!python/object/apply:os.system"),
    "custom_tag": ("pricing.price_per_seat_month", 4, "found the tag !money"),
    "explicit_core_tag": ("start_year", 11, "found the tag !!timestamp"),
    "merge_key": ("cases.bear.pricing.<<", 14, "YAML 1.2 has no merge keys"),
    "non_text_key": (None, 11, "expected a text key, found '2026'"),
    "control_char_raw": (None, 2, "found the control character U+0007"),
    # wrong types
    "bool_for_number": ("pricing.price_per_seat_month", 4, "expected a number, found true"),
    "string_for_number": ("pricing.price_per_seat_month", 4, "found the text '40'"),
    "number_with_unit": ("pricing.price_per_seat_month", 4, "found the text '$40'"),
    "underscore_number": ("usage.queries_per_seat_month", 6, "found the text '1_000'"),
    "null_for_number": ("pricing.price_per_seat_month", 4, "expected a number, found nothing"),
    "list_for_number": ("pricing.price_per_seat_month", 4, "expected a number, found a list"),
    "mapping_for_number": ("pricing.price_per_seat_month", 4, "found a mapping"),
    "nan": ("usage.input_tokens_per_call", 7, "expected a finite number, found .nan"),
    "infinity": ("usage.output_tokens_per_call", 8, "expected a finite number, found .inf"),
    "negative_infinity": ("pricing.annual_price_change", 5, "finite number, found -.inf"),
    "huge_1e400": ("usage.queries_per_seat_month", 6, "expected a finite number, found 1e400"),
    "number_for_name": ("name", 2, "expected text, found 42"),
    "bool_for_name": ("name", 2, "expected text, found true (a boolean)"),
    "pricing_not_a_mapping": ("pricing", 3, "expected a mapping, found 40"),
    "models_not_a_list": ("models", 9, "expected a list"),
    "model_entry_not_a_mapping": ("models[0]", 10, "expected a mapping"),
    "string_for_start_year": ("start_year", 11, "expected a whole number, found the text"),
    "date_for_start_year": ("start_year", 11, "found the text '2026-01-01'"),
    "float_years": ("years", 11, "expected a whole number, found 5.5"),
    "float_whole_years": ("years", 11, "expected a whole number, found 5.0"),
    "float_start_year": ("start_year", 11, "expected a whole number, found 2026.0"),
    "sensitivity_year_float": ("sensitivity.year", 12, "expected a whole number, found 2027.5"),
    "curve_factor_text": ("price_curve.annual_decline_factor", 12, "found the text 'fast'"),
    "cases_not_a_mapping": ("cases", 11, "expected a mapping, found a list"),
    "case_not_a_mapping": ("cases.bear", 12, "expected a mapping, found 5"),
    "case_model_share_bool": ("cases.bear.models.gpt-4o-mini.share", 14, "(a boolean)"),
    # required fields
    "missing_name": ("name", 2, "expected a value (required), found nothing"),
    "missing_pricing": ("pricing", 2, "expected a value (required)"),
    "missing_price_per_seat": ("pricing.price_per_seat_month", 3, "expected a value (required)"),
    "missing_input_tokens": ("usage.input_tokens_per_call", 5, "expected a value (required)"),
    "missing_models": ("models", 2, "expected a value (required)"),
    "empty_models_list": ("models", 9, "expected at least 1 entry, found 0"),
    "seats_without_start": ("seats.start", 11, "expected a value (required)"),
    "empty_name": ("name", 2, "expected at least 1 character, found 0"),
    # unknown keys
    "unknown_key_typo": ("usage.reasoning_multipler", 9, "did you mean 'reasoning_multiplier'?"),
    "unknown_top_level_key": ("discount_rate", 11, "unknown key (expected one of: name,"),
    "unknown_key_top_level_typo": ("target_margin", 11, "did you mean 'target_gross_margin'?"),
    "unknown_model_key": ("models[0].price", 11, "unknown key"),
    "case_unknown_section_key": ("cases.bear.usge", 13, "did you mean 'usage'?"),
    "case_unknown_field": ("cases.bear.usage.reasoning", 14, "did you mean 'reasoning_multiplier'"),
    "case_overrides_name": ("cases.bear.name", 13, "unknown key"),
    # ranges, lower and upper bounds of SPEC section 2
    "price_per_seat_zero": ("pricing.price_per_seat_month", 4, "> 0 and <= 1e6, found 0"),
    "price_per_seat_negative": ("pricing.price_per_seat_month", 4, "> 0 and <= 1e6, found -5"),
    "price_per_seat_above_1e6": ("pricing.price_per_seat_month", 4, "<= 1e6, found 1500000"),
    "annual_price_change_minus_one": ("pricing.annual_price_change", 5, "> -1 and <= 10, found -1"),
    "annual_price_change_above_10": ("pricing.annual_price_change", 5, "<= 10, found 10.5"),
    "payment_fee_rate_one": ("pricing.payment_fee_rate", 5, ">= 0 and < 1, found 1"),
    "payment_fee_rate_negative": ("pricing.payment_fee_rate", 5, ">= 0 and < 1, found -0.01"),
    "queries_negative": ("usage.queries_per_seat_month", 6, ">= 0 and <= 1e7, found -1"),
    "queries_above_1e7": ("usage.queries_per_seat_month", 6, "<= 1e7, found 2e7"),
    "agent_calls_negative": ("usage.agent_calls_per_query", 9, ">= 0 and <= 10000, found -1"),
    "agent_calls_above_1e4": ("usage.agent_calls_per_query", 9, "<= 10000, found 10001"),
    "input_tokens_negative": ("usage.input_tokens_per_call", 7, ">= 0 and <= 1e9, found -6000"),
    "input_tokens_above_1e9": ("usage.input_tokens_per_call", 7, "<= 1e9, found 2e9"),
    "output_tokens_negative": ("usage.output_tokens_per_call", 8, ">= 0 and <= 1e9, found -1"),
    "output_tokens_above_1e9": ("usage.output_tokens_per_call", 8, "<= 1e9, found 1000000001"),
    "reasoning_below_one": ("usage.reasoning_multiplier", 9, ">= 1 and <= 1000, found 0.5"),
    "reasoning_above_1000": ("usage.reasoning_multiplier", 9, "<= 1000, found 1001"),
    "usage_growth_minus_one": ("usage.annual_usage_growth", 9, "> -1 and <= 10, found -1"),
    "usage_growth_above_10": ("usage.annual_usage_growth", 9, "<= 10, found 11"),
    "token_growth_below_minus_one": ("usage.annual_token_growth", 9, "> -1 and <= 10, found -1.5"),
    "token_growth_above_10": ("usage.annual_token_growth", 9, "<= 10, found 10.01"),
    "cache_hit_rate_above_one": ("usage.cache_hit_rate", 9, ">= 0 and <= 1, found 1.2"),
    "cache_hit_rate_negative": ("usage.cache_hit_rate", 9, ">= 0 and <= 1, found -0.1"),
    "batch_share_above_one": ("usage.batch_share", 9, ">= 0 and <= 1, found 2"),
    "model_share_above_one": ("models[0].share", 11, ">= 0 and <= 1, found 1.5"),
    "model_share_negative": ("models[1].share", 13, ">= 0 and <= 1, found -0.3"),
    "model_input_price_negative": ("models[0].input_price", 11, ">= 0 and <= 10000, found -1"),
    "model_input_price_above_1e4": ("models[0].input_price", 11, "<= 10000, found 20000"),
    "model_output_price_above_1e4": ("models[0].output_price", 11, "<= 10000, found 1e5"),
    "cached_input_discount_above_one": ("models[0].cached_input_discount", 11, "found 1.1"),
    "batch_discount_negative": ("models[0].batch_discount", 11, ">= 0 and <= 1, found -0.5"),
    "model_decline_factor_zero": ("models[0].annual_decline_factor", 11, ">= 0.01 and <= 1000"),
    "model_decline_factor_above_1000": ("models[0].annual_decline_factor", 11, "found 5000"),
    "model_floor_input_above_1e4": ("models[0].floor_input_price", 11, "<= 10000, found 10001"),
    "model_floor_output_negative": ("models[0].floor_output_price", 11, ">= 0 and <= 10000"),
    "curve_decline_factor_zero": ("price_curve.annual_decline_factor", 12, ">= 0.01 and <= 1000"),
    "curve_decline_factor_below_min": ("price_curve.annual_decline_factor", 12, "found 0.001"),
    "curve_decline_factor_above_1000": ("price_curve.annual_decline_factor", 12, "found 1001"),
    "curve_decline_list_entry_zero": ("price_curve.annual_decline_factor[1]", 12, "found 0"),
    "curve_decline_list_entry_above_1000": ("price_curve.annual_decline_factor[2]", 12, "1e6"),
    "empty_decline_factor_list": ("price_curve.annual_decline_factor", 12, "at least 1 entry"),
    "curve_floor_input_negative": ("price_curve.floor_input_price", 12, "found -0.01"),
    "curve_floor_input_above_1e4": ("price_curve.floor_input_price", 12, "<= 10000, found 12000"),
    "curve_floor_output_above_1e4": ("price_curve.floor_output_price", 12, "<= 10000, found 1e5"),
    "other_cogs_negative": ("costs.other_cogs_per_seat_month", 12, ">= 0 and <= 1e6, found -2"),
    "other_cogs_above_1e6": ("costs.other_cogs_per_seat_month", 12, "<= 1e6, found 2e6"),
    "other_cogs_change_minus_one": ("costs.annual_other_cogs_change", 12, "> -1 and <= 10"),
    "other_cogs_change_above_10": ("costs.annual_other_cogs_change", 12, "<= 10, found 12"),
    "target_margin_one": ("target_gross_margin", 11, ">= 0 and < 1, found 1"),
    "target_margin_negative": ("target_gross_margin", 11, ">= 0 and < 1, found -0.2"),
    "target_margin_percent": ("target_gross_margin", 11, ">= 0 and < 1, found 70"),
    "seats_start_negative": ("seats.start", 12, ">= 0 and <= 1e9, found -10"),
    "seats_start_above_1e9": ("seats.start", 12, "<= 1e9, found 2e9"),
    "seat_growth_minus_one": ("seats.annual_growth", 13, "> -1 and <= 10, found -1"),
    "seat_growth_above_10": ("seats.annual_growth", 13, "<= 10, found 25"),
    "years_0": ("years", 11, "expected a whole number >= 1 and <= 30, found 0"),
    "years_31": ("years", 11, "expected a whole number >= 1 and <= 30, found 31"),
    "start_year_1999": ("start_year", 11, ">= 2000 and <= 2100, found 1999"),
    "start_year_2101": ("start_year", 11, ">= 2000 and <= 2100, found 2101"),
    # models
    "unknown_model_without_prices": ("models[0].name", 10, "closest catalog names: gpt-4o-mini"),
    "model_with_only_input_price": (
        "models[0].name",
        10,
        "expected a catalog model or output_price",
    ),
    "duplicate_model_names": ("models[1].name", 12, "found 'GPT-4o-Mini' again (also models[0])"),
    "missing_share_with_several_models": ("models[1].share", 12, "expected a share (required"),
    "share_sum_not_one": ("models", 9, "shares summing to 1, found 0.7 + 0.2 = 0.9"),
    "more_than_20_models": ("models", 9, "expected at most 20 entries, found 21"),
    "model_name_empty": ("models[0].name", 10, "expected at least 1 character, found 0"),
    "model_name_too_long": ("models[0].name", 10, "expected at most 100 characters, found 101"),
    "control_char_in_model_name": ("models[0].name", 10, "without control characters"),
    # cases
    "more_than_10_cases": ("cases", 11, "expected at most 10 entries, found 11"),
    "case_name_capitalized": ("cases.Bear", 12, "found 'Bear'"),
    "case_name_base": ("cases.base", 12, "other than 'base', found 'base'"),
    "case_name_starts_with_digit": ("cases.1bad", 12, "found '1bad'"),
    "case_name_too_long": ("cases." + "a" * 21, 12, "[a-z][a-z0-9_]{0,19}"),
    "case_name_with_hyphen": ("cases.bear-case", 12, "found 'bear-case'"),
    "case_name_number": ("cases", 12, "expected a text key, found '2027'"),
    "case_overrides_unknown_model": (
        "cases.bear.models.gpt-4o-maxi",
        14,
        "did you mean 'gpt-4o-mini'?",
    ),
    "case_seats_without_base_seats": ("cases.bull.seats", 13, "the base case gives no seats"),
    "case_shares_not_one": ("cases.bear.models", 18, "found 0.7 + 0.5 = 1.2"),
    "case_reasoning_above_1000": ("cases.bear.usage.reasoning_multiplier", 13, "found 2000"),
    "case_decline_list_entry_above_1000": (
        "cases.bull.price_curve.annual_decline_factor[1]",
        13,
        "<= 1000, found 2000",
    ),
    "case_target_margin_one": ("cases.bear.target_gross_margin", 13, "< 1, found 1.0"),
    # sensitivity
    "sensitivity_year_before_start": ("sensitivity.year", 12, "from 2026 to 2030, found 2025"),
    "sensitivity_year_outside_horizon": ("sensitivity.year", 13, "from 2026 to 2028, found 2029"),
    "sensitivity_empty_axis": ("sensitivity.decline_factors", 12, "at least 1 entry, found 0"),
    "sensitivity_too_many_values": ("sensitivity.reasoning_multipliers", 12, "at most 20 entries"),
    "sensitivity_reasoning_below_one": ("sensitivity.reasoning_multipliers[0]", 12, ">= 1"),
    "sensitivity_decline_factor_zero": ("sensitivity.decline_factors[0]", 12, ">= 0.01"),
    "sensitivity_decline_factor_above_1000": ("sensitivity.decline_factors[2]", 12, "found 5000"),
    # text
    "name_too_long": ("name", 2, "expected at most 100 characters, found 101"),
    "notes_too_long": ("notes", 11, "expected at most 10000 characters, found 10001"),
    "control_char_in_name": ("name", 2, "expected text without control characters"),
    "control_char_in_notes": ("notes", 11, "expected text without control characters"),
    "currency_lowercase": (
        "currency",
        11,
        "three capital letters such as USD, found the text 'usd'",
    ),
    "currency_no": ("currency", 11, "found the text 'no'"),
    "currency_number": ("currency", 11, "expected text, found 840"),
    "version_2": ("version", 11, "expected one of 1, found 2"),
    "version_text": ("version", 11, "found the text '1'"),
}

CORPUS = sorted(INVALID.glob("*.yaml"))


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def _start(*args: str | Path, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(HERE.parent)}
    return subprocess.Popen(
        [sys.executable, "-m", "generator", *map(str, args)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        preexec_fn=_limits,  # noqa: PLW1509 - safe: these tests start no threads
    )


@dataclass
class Run:
    code: int | None  # None: killed after TIMEOUT_SECONDS
    out: str
    err: str


def _finish(process: subprocess.Popen) -> Run:
    try:
        out, err = process.communicate(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        return Run(None, out, err)
    return Run(process.returncode, out, err)


def _run(*args: str | Path, cwd: Path) -> Run:
    return _finish(_start(*args, cwd=cwd))


@pytest.fixture(scope="module")
def corpus_runs(tmp_path_factory) -> dict[str, tuple[Path, dict[str, Run]]]:
    """Both commands on every file, each in its own empty folder. A few files run side by
    side to save wall time; each process keeps its own time and memory cap."""
    folders = {file.stem: tmp_path_factory.mktemp(file.stem) for file in CORPUS}
    results: dict[str, tuple[Path, dict[str, Run]]] = {}
    at_once = max(1, os.cpu_count() or 1)
    for first in range(0, len(CORPUS), at_once):
        started = []
        for file in CORPUS[first : first + at_once]:
            folder = folders[file.stem]
            started.append(
                (
                    file,
                    folder,
                    {
                        "validate": _start("validate", file, cwd=folder),
                        "generate": _start("generate", file, "-o", folder / "out", cwd=folder),
                    },
                )
            )
        for file, folder, processes in started:
            runs = {command: _finish(process) for command, process in processes.items()}
            results[file.stem] = (folder, runs)
    return results


def _expected_line(file: Path, path: str | None, line: int | None) -> str:
    where = f"{file}:{line}" if line else str(file)
    return f"{where}: {path}: " if path else f"{where}: "


def test_every_corpus_file_has_an_expectation() -> None:
    stems = {file.stem for file in CORPUS}
    assert len(CORPUS) >= 60
    assert stems == set(EXPECTED), stems ^ set(EXPECTED)


@pytest.mark.parametrize("file", CORPUS, ids=[file.stem for file in CORPUS])
def test_invalid_file_is_refused(file: Path, corpus_runs) -> None:
    folder, runs = corpus_runs[file.stem]
    path, line, fragment = EXPECTED[file.stem]
    prefix = _expected_line(file, path, line)

    for command, run in runs.items():
        assert run.code is not None, f"{command} ran over {TIMEOUT_SECONDS} s"
        assert run.code == 1, f"{command}: exit {run.code}\n{run.err}"
        assert "Traceback" not in run.out + run.err
        matching = [text for text in run.err.splitlines() if text.startswith(prefix)]
        assert matching, f"{command}: no line starting {prefix!r} in:\n{run.err}"
        assert any(fragment in text for text in matching), f"{fragment!r} not in:\n{run.err}"
    # Nothing at all: no workbook, no output folder, no hidden temporary file.
    assert list(folder.rglob("*")) == []


def test_file_over_one_megabyte_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "file_over_1mb.yaml"
    big.write_text("name: Big\nnotes: |\n" + "  y\n" * 260_000)
    out_dir = tmp_path / "out"

    for args in (("validate", big), ("generate", big, "-o", out_dir)):
        run = _run(*args, cwd=tmp_path)

        assert run.code == 1
        assert "Traceback" not in run.out + run.err
        assert run.err.startswith(f"{big}: expected at most 1,000,000 bytes, found ")
    assert not out_dir.exists()


def test_valid_file_among_invalid_ones_is_still_generated(tmp_path: Path) -> None:
    invalid = [INVALID / "share_sum_not_one.yaml", INVALID / "alias_bomb.yaml"]
    valid = SCENARIOS / "support_bot.yaml"
    out_dir = tmp_path / "out"

    run = _run("generate", invalid[0], valid, invalid[1], "-o", out_dir, cwd=tmp_path)

    assert run.code == 1
    assert "Traceback" not in run.out + run.err
    assert sorted(p.name for p in out_dir.iterdir()) == ["support_bot.xlsx"]
    for file in invalid:
        assert str(file) in run.err
    assert "Helpdesk Support Bot" in run.out
