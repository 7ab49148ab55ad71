"""The Loihi bench in a real browser: JupyterLab (and Voila).

The fixture notebook ``fixtures/loihi_lab.ipynb`` makes the default ``LoihiLab()`` (numpy
engine under the test suite) and waits for its first run. A test types a value into the
``decay_v`` slider as a student does and checks that the ``dynsim-loihi-traces`` data changed
and the plot's pixels changed; moves the threshold and checks the threshold line; drags a
weight slider and checks that the bench settles on the last value; types a bad number of
steps and checks the bench's error box (a good value clears it); and that nothing else went
wrong. Screenshots go to the artifacts.
"""

from __future__ import annotations

import time

import pytest
from labdriver import (
    FIXTURE_DIR,
    assert_no_errors,
    bokeh_data,
    drag_slider,
    save_screenshot,
    set_widget_value,
    show_notebook,
    wait_for_data_change,
    wait_for_element,
    wait_until,
)

pytestmark = pytest.mark.browser

NOTEBOOK = f"{FIXTURE_DIR}/loihi_lab.ipynb"
SOURCE = "dynsim-loihi-traces"


def wait_for(page, what, check, timeout: float = 60):
    """Poll ``check()`` until it returns something true; return it."""
    return wait_until(what, check, timeout=timeout)


def scope_pixels(page) -> bytes:
    """PNG of the bench's whole scope (v, u ... figures: a control may change only one)."""
    loc = page.locator(".dynsim-bench .dynsim-scope").first
    loc.scroll_into_view_if_needed()
    return loc.screenshot(animations="disabled")


def move_and_check(page, css_class: str, value) -> dict:
    """Type ``value`` into a control; wait for new traces and for the scope to redraw."""
    before, shot = bokeh_data(page, SOURCE), scope_pixels(page)
    set_widget_value(page, css_class, value)
    after = wait_for_data_change(page, SOURCE, before, timeout=120)
    wait_for(page, "the scope did not redraw (its pixels are unchanged)",
             lambda: scope_pixels(page) != shot, timeout=15)
    return after


def status_text(page) -> str:
    return page.locator(".dynsim-bench .dynsim-status").inner_text().strip()


def check_bench(page, artifacts, label: str) -> None:
    wait_for_element(page, ".dynsim-bench .bk-Figure")
    first = wait_for(page, "the bench showed no traces",
                     lambda: (d := bokeh_data(page, SOURCE)) and len(d.get("t", [])) == 200
                     and d, timeout=120)
    assert {"v_0", "v_1", "v_2", "u_0", "u_1", "u_2"} <= set(first)
    assert len(bokeh_data(page, "dynsim-loihi-spikes")["t"]) > 0
    assert bokeh_data(page, "dynsim-loihi-threshold")["y"] == [32000, 32000]
    wait_for(page, "the status never reported the run", lambda: "simulated in" in
             status_text(page))
    assert "silicon" in page.locator(".dynsim-loihi-convention").inner_text()

    # type a value into the decay_v slider: new data, the plot redraws
    after = move_and_check(page, "dynsim-param-decay_v", 1000)
    assert after["v_0"] != first["v_0"] and after["u_0"] == first["u_0"]  # u: input only
    # the threshold moves the line
    before = bokeh_data(page, "dynsim-loihi-threshold")
    move_and_check(page, "dynsim-param-threshold_v_mant", 300)
    line = wait_for_data_change(page, "dynsim-loihi-threshold", before)
    assert line["y"] == [300 * 64, 300 * 64]
    # a drag: the bench settles on the slider's last value
    shown = drag_slider(page, "dynsim-param-w_0", 0.2)
    wait_for(page, "the bench did not settle after the drag",
             lambda: "simulated in" in status_text(page)
             and page.locator(".dynsim-param-w_0 .widget-readout").text_content() == shown)
    time.sleep(1.0)  # a run of the last value may still be on its way
    wait_for(page, "no run after the drag", lambda: "simulated in" in status_text(page))
    assert page.locator(".dynsim-bench .dynsim-error").inner_text().strip() == ""
    save_screenshot(page, artifacts, f"loihi-lab-{label}", ".dynsim-bench")

    # a bad value: the error shows in the bench, the plot stays; a good value clears it
    error = page.locator(".dynsim-bench .dynsim-error")
    kept = bokeh_data(page, SOURCE)
    set_widget_value(page, "dynsim-lab-steps", 0)
    wait_for(page, "no error in the bench", lambda: "steps must be at least 1" in
             error.inner_text())
    assert bokeh_data(page, SOURCE) == kept
    save_screenshot(page, artifacts, f"loihi-lab-{label}-error", ".dynsim-bench")
    set_widget_value(page, "dynsim-lab-steps", 300)
    wait_for(page, "the error stayed", lambda: error.inner_text().strip() == "", timeout=120)
    wait_for(page, "no 300-step run", lambda: len(bokeh_data(page, SOURCE)["t"]) == 300)
    assert_no_errors(page)


@pytest.mark.parametrize("where", ["jupyterlab", "voila"])
def test_loihi_lab(lab, page, artifacts, where):
    show_notebook(page, lab, NOTEBOOK, where)
    check_bench(page, artifacts, where)
