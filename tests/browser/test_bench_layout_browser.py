"""The benches' layout in a real browser: the plot stays on screen while any control is used.

Issue 11: at a 1280x1100 browser window, JupyterLab shows the fixture notebooks
``fixtures/dynapse_lab.ipynb`` (``DynapseLab``) and ``fixtures/loihi_lab.ipynb``
(``LoihiLab``). The whole bench (class ``dynsim-bench``) must be at most
:data:`MAX_BENCH_HEIGHT` pixels tall, so it fits the window with JupyterLab's own bars. Its
controls are grouped in one ipywidgets ``Tab`` (class ``dynsim-controls``); for EVERY group
the test opens the tab as a user clicks it, scrolls one control of the group into view, and
checks that the scope (class ``dynsim-scope``: every Bokeh figure of the bench) and the
control can both be seen whole (inside the window and not clipped by JupyterLab's notebook
panel), then changes the control and checks that the
plot's data and its pixels change (:func:`labdriver.check_control_updates_plot`). The
groups a bench shows must be exactly those listed here, so a new group needs a new line.
Screenshots of the window (one per group) go to the artifacts.
"""

from __future__ import annotations

import pytest
from labdriver import (
    FIXTURE_DIR,
    assert_no_errors,
    bokeh_data,
    check_control_updates_plot,
    reveal,
    save_screenshot,
    show_notebook,
    wait_for_element,
    wait_until,
)

pytestmark = pytest.mark.browser

#: The browser window of the issue (a laptop screen, JupyterLab in a maximised window).
VIEWPORT = {"width": 1280, "height": 1100}
#: The tallest a bench may be (px): JupyterLab's menu, tab and status bars take ~150 px of
#: the 1100.
MAX_BENCH_HEIGHT = 900

#: DynapseLab: tab title -> (the control's CSS class, a value that changes the currents).
DYNAPSE_GROUPS = {
    "neuron": ("dynsim-bias-IF_DC_P-fine", 200),
    "AMPA": ("dynsim-bias-PS_WEIGHT_EXC_F_N-fine", 200),
    "NMDA": ("dynsim-bias-PS_WEIGHT_EXC_S_N-fine", 200),
    "GABA_A": ("dynsim-bias-PS_WEIGHT_INH_F_N-fine", 200),
    "GABA_B": ("dynsim-bias-PS_WEIGHT_INH_S_N-fine", 200),
    "inputs": ("dynsim-input-AMPA-rate", 300),
    "run & files": ("dynsim-lab-duration", "200 ms"),
}
#: LoihiLab (the default network): tab title -> (control, a value that changes the traces).
LOIHI_GROUPS = {
    "neuron": ("dynsim-param-decay_v", 1000),
    "synapses": ("dynsim-param-w_0", 250),
    "run": ("dynsim-lab-steps", 150),
}


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, "the element is not displayed"
    return found


_JS_SHOWN = """
(el) => {
  // The part of el's box that can be seen: clipped by the window and by every ancestor
  // that scrolls (JupyterLab's notebook panel, under its toolbar; a tab's box of controls).
  const r = el.getBoundingClientRect();
  let top = Math.max(r.top, 0), left = Math.max(r.left, 0);
  let bottom = Math.min(r.bottom, window.innerHeight), right = Math.min(r.right, window.innerWidth);
  for (let a = el.parentElement; a; a = a.parentElement) {
    const style = getComputedStyle(a);
    const c = a.getBoundingClientRect();
    if (!/(auto|scroll)/.test(style.overflowY + style.overflowX) || !c.width || !c.height) {
      continue;
    }
    top = Math.max(top, c.top); left = Math.max(left, c.left);
    bottom = Math.min(bottom, c.bottom); right = Math.min(right, c.right);
  }
  return {box: [r.left, r.top, r.right, r.bottom], shown: [left, top, right, bottom]};
}
"""


def assert_wholly_shown(locator, what: str) -> None:
    """The element's whole box can be seen: inside the window and every scrolling ancestor."""
    found = locator.evaluate(_JS_SHOWN)
    full, shown = found["box"], found["shown"]
    assert all(abs(a - b) <= 0.5 for a, b in zip(full, shown, strict=True)), (
        f"{what} is not wholly on screen: box {full}, visible part {shown}")


def tab_titles(page) -> list[str]:
    tabs = page.locator(".dynsim-bench .dynsim-controls > .widget-tab-bar .lm-TabBar-tab")
    return [t.strip() for t in tabs.all_inner_texts()]


def check_layout(page, artifacts, name: str, source: str, groups: dict) -> None:
    bench = page.locator(".dynsim-bench").first
    height = box(bench)["height"]
    print(f"\n[browser] {name}: bench {box(bench)['width']:.0f} x {height:.0f} px in a "
          f"{VIEWPORT['width']}x{VIEWPORT['height']} window")
    assert height <= MAX_BENCH_HEIGHT, f"{name} is {height:.0f} px tall"
    assert tab_titles(page) == list(groups), "every group of controls has a check here"
    bench.evaluate("e => e.scrollIntoView({block: 'start'})")  # as a user scrolls to it
    scope = page.locator(".dynsim-bench .dynsim-scope").first
    for title, (css_class, value) in groups.items():
        control = reveal(page, css_class)
        control.scroll_into_view_if_needed()
        assert_wholly_shown(control, f"{title}: control .{css_class}")
        assert_wholly_shown(scope, f"{title}: the plot")
        before = bokeh_data(page, source)
        after = check_control_updates_plot(page, css_class, value, source, timeout=120)
        assert after != before
        assert_wholly_shown(scope, f"{title}: the plot after the change")
        slug = "".join(c if c.isalnum() else "-" for c in title)
        save_screenshot(page, artifacts, f"layout-{name}-{slug}")
    assert page.locator(".dynsim-bench .dynsim-error").inner_text().strip() == ""
    assert_no_errors(page)


@pytest.fixture
def window(page):
    page.set_viewport_size(VIEWPORT)
    return page


def test_dynapse_bench_keeps_its_plot_on_screen(lab, window, artifacts):
    show_notebook(window, lab, f"{FIXTURE_DIR}/dynapse_lab.ipynb", "jupyterlab")
    wait_for_element(window, ".dynsim-bench .bk-Figure")
    wait_until("the bench showed no whole run",
               lambda: max(bokeh_data(window, "dynsim-currents").get("t") or [0]) > 490,
               timeout=120)
    check_layout(window, artifacts, "dynapse", "dynsim-currents", DYNAPSE_GROUPS)


def test_loihi_bench_keeps_its_plot_on_screen(lab, window, artifacts):
    show_notebook(window, lab, f"{FIXTURE_DIR}/loihi_lab.ipynb", "jupyterlab")
    wait_for_element(window, ".dynsim-bench .bk-Figure")
    wait_until("the bench showed no traces",
               lambda: len(bokeh_data(window, "dynsim-loihi-traces").get("t", [])) == 200,
               timeout=120)
    check_layout(window, artifacts, "loihi", "dynsim-loihi-traces", LOIHI_GROUPS)
