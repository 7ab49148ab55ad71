"""The examples in the docstrings of dynsim.widgets run and print what they show."""

from __future__ import annotations

import dynsim.widgets
import pytest
from support import failed_doc_examples, package_modules


@pytest.mark.parametrize("name", package_modules(dynsim.widgets))
def test_docstring_examples(name):
    assert failed_doc_examples(name) == 0


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
