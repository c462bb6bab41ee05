"""Tests that the installed package finds its data: catalog, templates, sub-packages."""

from __future__ import annotations

import configparser
from pathlib import Path

import generator
from generator import resources

ROOT = Path(__file__).resolve().parents[1]


def test_catalog_text_is_shipped() -> None:
    assert '"gpt-4o-mini"' in resources.read_catalog_text()


def test_templates_are_found() -> None:
    env = resources.template_env()

    assert "scenario.yaml.j2" in env.list_templates()
    assert env is resources.template_env()  # cached


def test_every_sub_package_is_listed_in_setup_cfg() -> None:
    # setup.cfg lists packages by hand (templates/ is mapped into generator.templates),
    # so a new sub-package that is not listed would be missing from a regular install.
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    on_disk = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "generator").rglob("*.py")
        if "__pycache__" not in path.parts
    }

    assert on_disk | {"generator.templates"} <= listed


def test_public_api_is_lazy_and_complete() -> None:
    assert generator.__version__ == "0.1.0"
    # Every public name resolves through the lazy table, and nothing else is advertised.
    assert set(generator.__all__) == set(generator._EXPORTS) | {"__version__"}
    assert generator.UnitEconError.__name__ == "UnitEconError"
