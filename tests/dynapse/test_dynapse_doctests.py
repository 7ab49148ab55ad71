"""The examples in the docstrings of dynsim.dynapse run and print what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import dynsim.dynapse

MODULES = ["dynsim.dynapse"] + [f"dynsim.dynapse.{m.name}" for m in
                                pkgutil.iter_modules(dynsim.dynapse.__path__)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
