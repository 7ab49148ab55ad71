"""The browser-test machinery, on a fixture notebook (ipywidgets + Bokeh, no dynsim).

Proves, in a real JupyterLab and a real Chromium, that the helpers of ``labdriver`` see what a
student sees: a moved slider changes the Bokeh data and the plot's pixels; a broken callback
is caught (by the error check and by the missing update); Voila renders the same bench.
"""

from __future__ import annotations

import math

import nbformat
import pytest
from labdriver import (
    FIXTURE_DIR,
    assert_no_errors,
    bokeh_data,
    check_control_updates_plot,
    console_log,
    drag_slider,
    notebook_variant,
    open_notebook,
    open_voila,
    plot_snapshot,
    require_chromium,
    run_all_cells,
    save_screenshot,
    set_widget_value,
    wait_for_data_change,
    wait_for_element,
    wait_for_redraw,
)

pytestmark = pytest.mark.browser

NOTEBOOK = f"{FIXTURE_DIR}/slider_plot.ipynb"
SOURCE = "dynsim-currents"
SLIDER = "dynsim-bias-TEST-fine"


def expected_currents(t: list[float], bias: int) -> list[float]:
    """What the fixture notebook computes for a bias (its ``currents``)."""
    return [math.exp(-x * bias / 10.0) for x in t]


def test_slider_moves_the_plot_in_jupyterlab(lab, page, artifacts):
    open_notebook(page, lab, NOTEBOOK)
    state = run_all_cells(page, timeout=120)
    print(f"\n[browser] run all cells: {state['seconds']} s")
    wait_for_element(page, ".dynsim-bench .bk-Figure")
    before = bokeh_data(page, SOURCE)
    assert before["i"] == pytest.approx(expected_currents(before["t"], 10))
    shot = plot_snapshot(page, SOURCE)

    shown = set_widget_value(page, SLIDER, 60)  # click the readout, type, Enter
    assert shown.strip() == "60"
    after = wait_for_data_change(page, SOURCE, before)
    assert after["i"] == pytest.approx(expected_currents(after["t"], 60))
    shot = wait_for_redraw(page, SOURCE, shot)

    readout = drag_slider(page, SLIDER, 0.95)  # and with the mouse
    dragged = wait_for_data_change(page, SOURCE, after)
    assert int(readout) > 60
    assert dragged["i"] == pytest.approx(expected_currents(dragged["t"], int(readout)))
    wait_for_redraw(page, SOURCE, shot)
    assert page.locator(".dynsim-status").inner_text().strip() == f"bias {readout}"

    assert_no_errors(page)
    save_screenshot(page, artifacts, "machinery-jupyterlab-bench", ".dynsim-bench")
    save_screenshot(page, artifacts, "machinery-jupyterlab-page")


@pytest.mark.parametrize("mode", ["raise", "error-box"])
def test_broken_callback_fails_the_checks(lab, page, mode):
    """A callback that raises makes the same checks fail: this browser test can fail."""
    notebook = notebook_variant(lab, NOTEBOOK, f"slider_plot_broken_{mode}.ipynb",
                                BROKEN=mode)
    open_notebook(page, lab, notebook)
    run_all_cells(page, timeout=120)  # the cells themselves run fine
    wait_for_element(page, ".dynsim-bench .bk-Figure")
    before = bokeh_data(page, SOURCE)
    set_widget_value(page, SLIDER, 60)
    with pytest.raises(AssertionError, match="did not change") as missing:
        wait_for_data_change(page, SOURCE, before, timeout=15)
    assert f"deliberately broken callback ({mode})" in str(missing.value)
    with pytest.raises(AssertionError, match=rf"deliberately broken callback \({mode}\)"):
        assert_no_errors(page)
    assert console_log(page).errors == []  # the failure is the kernel's, not JavaScript's


def test_cell_error_fails_run_all_cells(lab, page):
    """An exception in a cell stops ``run_all_cells`` with the traceback in the message."""
    notebook = notebook_variant(lab, NOTEBOOK, "slider_plot_cell_error.ipynb", BROKEN="")
    nb = nbformat.read(lab.root / notebook, as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    injected.source += "\nundefined_name_in_a_cell"
    nbformat.write(nb, lab.root / notebook)
    open_notebook(page, lab, notebook)
    with pytest.raises(AssertionError, match="NameError: name 'undefined_name_in_a_cell'"):
        run_all_cells(page, timeout=60)


def test_voila_renders_the_bench_and_it_responds(lab, page, artifacts):
    open_voila(page, lab, NOTEBOOK)
    wait_for_element(page, ".dynsim-bench .bk-Figure")
    after = check_control_updates_plot(page, SLIDER, 75, SOURCE)
    assert after["i"] == pytest.approx(expected_currents(after["t"], 75))
    assert_no_errors(page)
    save_screenshot(page, artifacts, "machinery-voila-page")


# ----------------------------------------------------------------------------- skip rule
def test_missing_chromium_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        require_chromium(finder=lambda: None)


def test_missing_chromium_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true but Chromium is missing"):
        require_chromium(finder=lambda: None)
    assert require_chromium(finder=lambda: "/usr/bin/chromium") == "/usr/bin/chromium"
