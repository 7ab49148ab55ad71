"""The examples in the docstrings of dynsim.widgets run and print what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import dynsim.widgets
import pytest

MODULES = ["dynsim.widgets"] + [f"dynsim.widgets.{m.name}" for m in
                                pkgutil.iter_modules(dynsim.widgets.__path__)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_library_never_imports_widgets():
    import subprocess
    import sys

    code = ("import sys, dynsim, dynsim.dynapse; "
            "print(sorted(m for m in sys.modules if m.startswith(('dynsim.widgets', "
            "'ipywidgets', 'bokeh', 'jupyter_bokeh'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
