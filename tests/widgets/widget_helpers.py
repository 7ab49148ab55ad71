"""Helpers of the widget tests (a module of its own: every test folder has a conftest)."""

from __future__ import annotations

import pytest

from dynsim.engine import standalone_unavailable_reason

#: Whether the standalone engine can run here (C++ compiler and make).
STANDALONE = standalone_unavailable_reason() is None
needs_standalone = pytest.mark.skipif(not STANDALONE,
                                      reason="standalone needs a C++ compiler and make")


def dom_classes(widget) -> list[str]:
    """Every CSS class in a widget tree (one entry per widget that carries it)."""
    out = list(getattr(widget, "_dom_classes", ()))
    for child in getattr(widget, "children", ()):
        out += dom_classes(child)
    return out
