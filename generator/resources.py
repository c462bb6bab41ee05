"""Locate the files shipped with the package: the price catalog and the Jinja2 templates."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # jinja2 is imported on first use so that `unitecon --help` stays fast
    import jinja2

# The top-level templates/ folder is installed as the package `generator.templates`
# (setup.cfg maps it with package_dir), so one lookup works for editable and regular installs.
TEMPLATES_PACKAGE = "generator.templates"


def read_catalog_text() -> str:
    """The price catalog JSON, as shipped inside the package."""
    return resources.files("generator").joinpath("data", "catalog.json").read_text("utf-8")


@cache
def template_env() -> jinja2.Environment:
    """The Jinja2 environment over the shipped templates (strict: a missing variable fails)."""
    import jinja2

    folder = resources.files(TEMPLATES_PACKAGE)
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # the templates produce YAML and plain text, never HTML
    )
