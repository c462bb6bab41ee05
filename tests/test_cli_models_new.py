"""Tests for `unitecon models`, `unitecon new`, `--version` and the exit-code mapping."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from ruamel.yaml import YAML

from generator import __version__, catalog, cli

SOURCE = "Value Add VC, 'AI Inference Cost Reduction in 2026'"


def run(*args: str) -> Result:
    # Separate streams: tables belong on stdout, messages on stderr.
    try:
        runner = CliRunner(mix_stderr=False)  # click 8.1
    except TypeError:
        runner = CliRunner()  # click 8.2+ always keeps stderr apart
    return runner.invoke(cli.cli, list(args))


def test_version() -> None:
    result = run("--version")

    assert result.exit_code == 0
    assert result.stdout.strip() == f"unitecon {__version__}"


def test_models_lists_every_catalog_model_with_date_and_source() -> None:
    result = run("models")

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["name", "tier"]
    for model in catalog.entries():
        (row,) = [line for line in lines if line.split()[0] == model.name]
        assert model.price_date in row
        assert model.tier in row
        assert SOURCE in row


def test_models_shows_prices_per_million_tokens() -> None:
    result = run("models")

    assert "$/Mtok" in result.stdout
    (gpt4,) = [line for line in result.stdout.splitlines() if line.startswith("gpt-4 ")]
    assert "30.00" in gpt4 and "60.00" in gpt4
    (flash,) = [line for line in result.stdout.splitlines() if line.startswith("gemini")]
    assert "0.075" in flash


def test_models_columns_line_up() -> None:
    lines = run("models").stdout.splitlines()
    date_column = lines[0].index("price date")

    for line, model in zip(lines[2:], catalog.entries(), strict=True):
        assert line.startswith(model.name + " ")
        assert line[date_column:].startswith(model.price_date + " ")


def test_new_writes_a_yaml_file_named_after_the_stem(tmp_path: Path) -> None:
    target = tmp_path / "acme_code-agent"

    result = run("new", str(target))

    assert result.exit_code == 0
    written = tmp_path / "acme_code-agent.yaml"
    assert written.is_file()
    assert str(written) in result.stderr
    assert result.stdout == ""
    data = YAML(typ="safe").load(written.read_text(encoding="utf-8"))
    assert data["name"] == "Acme Code Agent"


@pytest.mark.parametrize("name", ["bot.yaml", "bot.yml", "bot.YAML"])
def test_new_keeps_a_yaml_suffix(tmp_path: Path, name: str) -> None:
    result = run("new", str(tmp_path / name))

    assert result.exit_code == 0
    assert [path.name for path in tmp_path.iterdir()] == [name]


def test_new_appends_yaml_to_other_suffixes(tmp_path: Path) -> None:
    result = run("new", str(tmp_path / "acme.v2"))

    assert result.exit_code == 0
    assert (tmp_path / "acme.v2.yaml").is_file()


def test_new_starter_is_a_complete_commented_scenario(tmp_path: Path) -> None:
    run("new", str(tmp_path / "starter"))
    text = (tmp_path / "starter.yaml").read_text(encoding="utf-8")

    data = YAML(typ="safe").load(text)
    expected = {"name", "version", "start_year", "years", "currency", "pricing", "usage"}
    expected |= {"models", "price_curve", "costs", "target_gross_margin", "seats", "cases"}
    assert expected | {"sensitivity", "notes"} == set(data)
    assert sum(model["share"] for model in data["models"]) == pytest.approx(1)
    assert {"bear", "bull"} <= set(data["cases"])
    assert text.count("#") > 40  # every field carries its unit, default and range


def test_new_quotes_an_awkward_name(tmp_path: Path) -> None:
    result = run("new", str(tmp_path / "no: yes #1"))

    assert result.exit_code == 0
    data = YAML(typ="safe").load((tmp_path / "no: yes #1.yaml").read_text(encoding="utf-8"))
    assert data["name"] == "No Yes 1"


def test_new_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "bot.yaml"
    target.write_text("mine\n", encoding="utf-8")

    result = run("new", str(tmp_path / "bot"))

    assert result.exit_code == 1
    assert "already exists" in result.stderr
    assert str(target) in result.stderr
    assert target.read_text(encoding="utf-8") == "mine\n"


def test_new_reports_an_unwritable_target(tmp_path: Path) -> None:
    result = run("new", str(tmp_path / "missing-folder" / "bot"))

    assert result.exit_code == 1
    assert "cannot write" in result.stderr
    assert "Traceback" not in result.output


def test_new_needs_a_name() -> None:
    result = run("new")

    assert result.exit_code == 2


def test_main_maps_ctrl_c_to_130(monkeypatch, capsys) -> None:
    def interrupted() -> list:
        raise KeyboardInterrupt

    monkeypatch.setattr(catalog, "entries", interrupted)

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["models"])

    assert exit_info.value.code == 130
    assert "interrupted" in capsys.readouterr().err


def test_main_exit_codes(capsys) -> None:
    with pytest.raises(SystemExit) as ok:
        cli.main(["models"])
    with pytest.raises(SystemExit) as usage:
        cli.main(["--no-such-option"])

    assert ok.value.code == 0
    assert usage.value.code == 2
    assert "no such option" in capsys.readouterr().err.lower()


def test_help_does_not_import_heavy_libraries() -> None:
    # `unitecon --help` must start fast: no pandas, openpyxl, pydantic or ruamel on the way.
    code = (
        "import sys\n"
        "from generator.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = {'pandas', 'openpyxl', 'pydantic', 'ruamel', 'jinja2'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
