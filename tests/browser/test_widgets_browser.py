"""The DYNAP-SE bench in a real browser: JupyterLab and Voila.

The fixture notebook ``fixtures/dynapse_lab.ipynb`` makes ``DynapseLab()`` (numpy engine
under the test suite) and waits for its first run. A test moves a bias slider as a student
does and checks that the ``dynsim-currents`` data changed and the plot's pixels changed, that
the status line reports the run, that an error shows in the bench's error box and clears
after a good value, and that nothing else went wrong; screenshots go to the artifacts.
"""

from __future__ import annotations

import time

import pytest
from labdriver import (
    FIXTURE_DIR,
    assert_no_errors,
    bokeh_data,
    check_control_updates_plot,
    save_screenshot,
    set_widget_value,
    show_notebook,
    wait_for_element,
)

pytestmark = pytest.mark.browser

NOTEBOOK = f"{FIXTURE_DIR}/dynapse_lab.ipynb"
SOURCE = "dynsim-currents"
SLIDER = "dynsim-bias-IF_DC_P-fine"


def wait_for_first_data(page, timeout: float = 120) -> dict:
    """The currents of the whole first run (also when assigned before the view existed).

    An engine that streams while it runs shows the run's first part before the rest: wait
    for the end of the 500 ms run (its last sample, 499.5 ms), not for the first update.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = bokeh_data(page, SOURCE)
        if len(data.get("t", [])) > 100 and max(data["t"]) > 490:
            return data
        time.sleep(0.25)
    raise AssertionError(f"the bench showed no whole run of currents within {timeout} s")


def status_text(page) -> str:
    return page.locator(".dynsim-bench .dynsim-status").inner_text().strip()


def wait_for_status(page, fragment: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = status_text(page)
        if fragment in text:
            return text
        time.sleep(0.2)
    raise AssertionError(f"status line never showed {fragment!r}; it shows {status_text(page)!r}")


def check_bench(page, artifacts, label: str) -> None:
    wait_for_element(page, ".dynsim-bench .bk-Figure")
    first = wait_for_first_data(page)
    assert {"t", "Imem_0", "I_ampa_0", "I_nmda_0", "I_gaba_a_0", "I_gaba_b_0"} <= set(first)
    assert max(first["t"]) > 490  # the whole 500 ms run
    assert len(bokeh_data(page, "dynsim-spikes")["t"]) > 0
    wait_for_status(page, "simulated in")
    after = check_control_updates_plot(page, SLIDER, 200, SOURCE, timeout=120)
    assert after["Imem_0"] != first["Imem_0"]
    wait_for_status(page, "simulated in")
    assert page.locator(".dynsim-bench .dynsim-error").inner_text().strip() == ""
    save_screenshot(page, artifacts, f"dynapse-lab-{label}", ".dynsim-bench")

    # a bad value: the error shows in the bench, then a good value clears it
    set_widget_value(page, "dynsim-input-AMPA-weight", 70)
    error = page.locator(".dynsim-bench .dynsim-error")
    deadline = time.monotonic() + 60
    while "CAMLimitError" not in error.inner_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "CAMLimitError" in error.inner_text()
    save_screenshot(page, artifacts, f"dynapse-lab-{label}-error", ".dynsim-bench")
    set_widget_value(page, "dynsim-input-AMPA-weight", 6)
    deadline = time.monotonic() + 120
    while error.inner_text().strip() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert error.inner_text().strip() == ""
    assert_no_errors(page)


@pytest.mark.parametrize("where", ["jupyterlab", "voila"])
def test_dynapse_lab(lab, page, artifacts, where):
    show_notebook(page, lab, NOTEBOOK, where)
    check_bench(page, artifacts, where)
