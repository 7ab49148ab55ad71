"""The examples in the docstrings of dynsim.loihi run and print what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import dynsim.loihi

MODULES = ["dynsim.loihi"] + [f"dynsim.loihi.{m.name}" for m in
                              pkgutil.iter_modules(dynsim.loihi.__path__)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
