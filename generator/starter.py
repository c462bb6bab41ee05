"""The commented starter scenario that `unitecon new` writes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from generator import __version__
from generator.errors import OutputError, UnitEconError
from generator.resources import template_env

SCENARIO_SUFFIXES = (".yaml", ".yml")
TEMPLATE = "scenario.yaml.j2"
FALLBACK_TITLE = "My AI product"
MAX_TITLE = 100  # the scenario schema's limit for `name`


def starter_path(name: str) -> Path:
    """Where `new NAME` writes: NAME itself when it ends in .yaml/.yml, else NAME.yaml."""
    if not name.strip():
        raise UnitEconError("NAME is empty: give a file name such as support_bot")
    path = Path(name)
    if path.suffix.lower() in SCENARIO_SUFFIXES:
        return path
    # Not with_suffix: "acme.v2" should become "acme.v2.yaml", not "acme.yaml".
    return path.with_name(path.name + ".yaml")


def title_from_stem(stem: str) -> str:
    """A readable scenario name from a file stem: "acme_code-agent" -> "Acme Code Agent"."""
    words = re.sub(r"[\W_]+", " ", stem).split()
    title = " ".join(word[:1].upper() + word[1:] for word in words)
    return title[:MAX_TITLE] or FALLBACK_TITLE


def render_starter(title: str) -> str:
    """The starter scenario's YAML text for a product called `title`."""
    # A JSON string is a valid YAML double-quoted scalar, so any title stays one plain string.
    quoted = json.dumps(title, ensure_ascii=False)
    return template_env().get_template(TEMPLATE).render(name=quoted, version=__version__)


def write_starter(name: str) -> Path:
    """Write the starter scenario for NAME; never replaces an existing file."""
    path = starter_path(name)
    text = render_starter(title_from_stem(path.stem))
    try:
        # Mode "x" refuses an existing file atomically, so a race cannot clobber one.
        with path.open("x", encoding="utf-8", newline="\n") as file:
            file.write(text)
    except FileExistsError:
        raise UnitEconError(
            f"{path}: already exists; not overwritten (choose another name or move it away)"
        ) from None
    except OSError as error:
        raise OutputError(f"{path}: cannot write: {error.strerror or error}") from None
    return path
