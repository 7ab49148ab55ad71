"""An untouched STUDENT notebook in a real browser: "Run All" reaches the end.

Exercise 5 (the quickest) is opened from the served copy of ``exercises/`` (the student copy:
every exercise still a stub) with the short papermill parameters; JupyterLab runs all cells.
Every cell runs (JupyterLab stops at the first error), the self-checks show NOT YET lines
(one per check, a stub's ``NotImplementedError`` reported as "not answered yet") and nothing
shows an exception.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest
from labdriver import (
    ROOT,
    assert_no_errors,
    notebook_variant,
    open_notebook,
    output_texts,
    run_all_cells,
)

pytestmark = pytest.mark.browser
NAME = "05_loihi_fixed_point.ipynb"


def _short_parameters() -> dict:
    spec = importlib.util.spec_from_file_location("warm_cache", ROOT / "binder" / "warm_cache.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.PARAMETERS)


def test_untouched_student_notebook_runs_all_in_jupyterlab(lab, page):
    checks = sum(1 for c in nbformat.read(ROOT / "exercises" / NAME, 4).cells
                 if c.cell_type == "code" and "\ncheck_" in c.source)
    assert checks >= 2
    notebook = notebook_variant(lab, NAME, "browser_student_05.ipynb", **_short_parameters())
    open_notebook(page, lab, notebook)
    state = run_all_cells(page, timeout=480)  # raises if a cell raised: JupyterLab stops there
    print(f"\n[browser] {Path(notebook).name} (student copy) ran in {state['seconds']} s")
    last = max(c["index"] for c in state["cells"] if c["source"])
    assert next(c for c in state["cells"] if c["index"] == last)["count"] is not None
    texts = output_texts(page)  # from the cell models: the DOM holds only visible cells
    assert sum("NOT YET" in text for text in texts) >= checks
    assert not any("Traceback" in text for text in texts)
    assert_no_errors(page)
