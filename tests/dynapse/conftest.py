"""Fixtures of the DYNAP-SE tests."""

from __future__ import annotations

import pytest
from brian2 import prefs


@pytest.fixture
def numpy_target():
    """Run the user's own Brian2 objects (monitors, inputs) with the numpy target."""
    previous = prefs.codegen.target
    prefs.codegen.target = "numpy"
    try:
        yield
    finally:
        prefs.codegen.target = previous
