"""The exercise notebooks themselves in a real browser, as a student runs them.

Exercise 1 (DYNAP-SE) and exercise 5 (Loihi) are opened from the served copy of
``exercises/solutions/`` in JupyterLab, with the short papermill parameters of the test
suite (``binder/warm_cache.py``'s ``PARAMETERS``: the benches themselves keep the simulated
time written in the notebook). Every cell runs without an error output; then a slider of the
notebook's bench is moved as a student moves it, and the plot's data and its pixels must
change. No console error, no error output; a screenshot of each bench goes to the artifacts.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest
from labdriver import (
    ROOT,
    assert_no_errors,
    bokeh_data,
    check_control_updates_plot,
    notebook_variant,
    open_notebook,
    run_all_cells,
    save_screenshot,
    wait_for_element,
)

pytestmark = pytest.mark.browser


def _short_parameters() -> dict:
    spec = importlib.util.spec_from_file_location("warm_cache", ROOT / "binder" / "warm_cache.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.PARAMETERS)


def _solution(name: str) -> str:
    matches = sorted((ROOT / "exercises" / "solutions").glob(f"{name}*.ipynb"))
    assert matches, f"no solution notebook {name}*"
    return f"solutions/{matches[0].name}"


def _wait_for_data(page, source: str, key: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = bokeh_data(page, source)
        if len(data.get(key, [])) > 10:
            return data
        time.sleep(0.25)
    raise AssertionError(f"the bench's {source!r} got no data within {timeout} s")


def _run_exercise(page, lab, name: str) -> None:
    notebook = notebook_variant(lab, _solution(name), f"browser_{name}.ipynb",
                                **_short_parameters())
    open_notebook(page, lab, notebook)
    state = run_all_cells(page, timeout=480)
    print(f"\n[browser] {Path(notebook).name} ran in {state['seconds']} s")
    wait_for_element(page, ".dynsim-bench .bk-Figure", timeout=120)


def test_exercise_1_bench_in_jupyterlab(lab, page, artifacts):
    _run_exercise(page, lab, "01_")
    source = "dynsim-currents"
    first = _wait_for_data(page, source, "t")
    assert {"Imem_0", "I_ampa_0", "I_nmda_0"} <= set(first)
    after = check_control_updates_plot(page, "dynsim-bias-IF_DC_P-fine", 200, source,
                                       timeout=120)
    assert after["Imem_0"] != first["Imem_0"]
    assert page.locator(".dynsim-bench .dynsim-error").inner_text().strip() == ""
    save_screenshot(page, artifacts, "exercise-01-bench", ".dynsim-bench")
    assert_no_errors(page)


def test_exercise_5_bench_in_jupyterlab(lab, page, artifacts):
    _run_exercise(page, lab, "05_")
    source = "dynsim-loihi-traces"
    first = _wait_for_data(page, source, "t")
    # the float-vs-Loihi overlay: a new membrane time constant moves both traces
    after = check_control_updates_plot(page, "dynsim-param-tau_m", 5.0, source, timeout=120)
    assert after != first
    assert page.locator(".dynsim-bench .dynsim-error").inner_text().strip() == ""
    save_screenshot(page, artifacts, "exercise-05-bench", ".dynsim-bench")
    assert_no_errors(page)
