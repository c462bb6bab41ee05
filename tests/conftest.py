"""Shared fixtures: the LibreOffice engine that end-to-end tests recalculate with."""

from __future__ import annotations

import os

import pytest
from engine import soffice_path


@pytest.fixture(scope="session")
def libreoffice() -> str:
    """Path to soffice; CI must have it, so there a missing engine fails instead of skipping."""
    path = soffice_path()
    if path is None:
        message = "LibreOffice (soffice) is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
