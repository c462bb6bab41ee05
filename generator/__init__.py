"""unitecon: turn a scenario describing an AI product into a live gross-margin workbook."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> module that defines it. Imported on first use, so `import generator`
# (and with it `unitecon --help`) does not pay for pandas, openpyxl or pydantic.
_EXPORTS = {
    "load": "generator.scenario",
    "compute": "generator.model",
    "sensitivity": "generator.model",
    "write_workbook": "generator.api",
    "generate": "generator.api",
    "batch": "generator.api",
    "UnitEconError": "generator.errors",
    "ScenarioError": "generator.errors",
}

__all__ = [
    "ScenarioError",
    "UnitEconError",
    "__version__",
    "batch",
    "compute",
    "generate",
    "load",
    "sensitivity",
    "write_workbook",
]

if TYPE_CHECKING:
    from generator.api import batch, generate, write_workbook
    from generator.errors import ScenarioError, UnitEconError
    from generator.model import compute, sensitivity
    from generator.scenario import load


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'generator' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this hook
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
