"""The examples in the docstrings of dynsim.loihi run and print what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import dynsim.loihi


def _modules() -> list[str]:
    found = pkgutil.walk_packages(dynsim.loihi.__path__, prefix="dynsim.loihi.")
    return ["dynsim.loihi", *sorted(info.name for info in found)]


@pytest.mark.parametrize("module", _modules())
def test_examples_in_docstrings(module):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for example in doctest.DocTestFinder().find(importlib.import_module(module)):
        runner.run(example)
    assert runner.failures == 0, f"{runner.failures} docstring example(s) of {module} failed"
