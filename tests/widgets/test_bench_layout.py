"""The benches' layout without a browser: grouped controls beside a fixed plot, legends outside.

Issue 11: the plot must stay visible while any control is used, and legends must not cover
traces. The browser test (``tests/browser/test_bench_layout_browser.py``) measures the bench
on screen; these tests check the widget and Bokeh models it relies on: every control sits in
exactly one tab of one ``Tab`` (class ``dynsim-controls``), that tab sits next to the plot in
a wrapping row, each tab's box has a bounded height, and every Bokeh legend is laid out
outside the plot frame (``figure.above``), none inside it (``figure.center``).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from bokeh.models import Legend
from brian2 import ms
from dynsim.widgets import CurrentScope, LoihiLab, TraceScope
from dynsim.widgets.bench import CONTROLS_HEIGHT, control_tabs, plot_beside_controls
from dynsim.widgets.loihi_params import param_group
from ipywidgets import HBox, IntSlider, Tab
from widget_helpers import dom_classes

from dynsim.dynapse.biases import BIAS_GROUPS
from dynsim.dynapse.constants import SYNAPSE_TYPES
from dynsim.loihi import FloatLIF

BIAS_NAMES = [name for names in BIAS_GROUPS.values() for name in names]


def tab_groups(tab: Tab) -> dict[str, list[str]]:
    """Tab title -> every CSS class inside that tab."""
    return {tab.get_title(i): dom_classes(child) for i, child in enumerate(tab.children)}


def assert_plot_beside_tabs(lab) -> None:
    rows = [w for w in lab.widget.children if isinstance(w, HBox)
            and lab.controls_tab in w.children]
    assert len(rows) == 1, "the tab of controls sits in one row"
    row = rows[0]
    assert row.children == (lab.scope.widget, lab.controls_tab)  # the plot first, fixed
    assert row.layout.flex_flow == "row wrap"  # the controls beside, or below when narrow
    assert "dynsim-controls" in lab.controls_tab._dom_classes
    for box in lab.controls_tab.children:
        assert box.layout.max_height == f"{CONTROLS_HEIGHT}px" and box.layout.overflow == "auto"


def legends(figure) -> tuple[list, list]:
    """The legends laid out outside the frame, and those drawn over the traces."""
    outside = [m for side in ("above", "below", "left", "right")
               for m in getattr(figure, side) if isinstance(m, Legend)]
    inside = [m for m in figure.center if isinstance(m, Legend)]
    return outside, inside


def assert_legends_outside(figures) -> None:
    for fig in figures:
        outside, inside = legends(fig)
        assert inside == [], "a legend inside the plot frame covers traces"
        assert len(outside) == 1 and outside[0].items


# --------------------------------------------------------------------------- helpers
def test_control_tabs_group_and_bound_the_controls():
    a, b = IntSlider(), IntSlider()
    tabs = control_tabs([("neuron", [a]), ("empty", []), ("run & files", [b])], height=200)
    assert [tabs.get_title(i) for i in range(2)] == ["neuron", "run & files"]
    assert tabs.selected_index == 0
    assert tabs.children[0].children == (a,) and tabs.children[1].children == (b,)
    assert "dynsim-group-run-&-files" in tabs.children[1]._dom_classes
    assert tabs.children[0].layout.max_height == "200px"
    row = plot_beside_controls(IntSlider(), tabs)
    assert row.children[1] is tabs and row.layout.flex_flow == "row wrap"


# --------------------------------------------------------------------------- DYNAP-SE
def test_dynapse_lab_groups_every_control_in_one_tab(make_lab):
    lab = make_lab(duration=50 * ms)
    assert_plot_beside_tabs(lab)
    groups = tab_groups(lab.controls_tab)
    synapses = [group for group in BIAS_GROUPS if group in SYNAPSE_TYPES]  # the chip's order
    assert sorted(synapses) == sorted(SYNAPSE_TYPES)
    assert list(groups) == ["neuron", *synapses, "inputs", "run & files"]
    where = {cls: title for title, classes in groups.items() for cls in classes}
    counts = Counter(cls for classes in groups.values() for cls in classes)
    for name in BIAS_NAMES:  # each bias once, in the tab of its group
        for part in ("coarse", "fine"):
            cls = f"dynsim-bias-{name}-{part}"
            assert counts[cls] == 1, cls
            group = next(g for g, names in BIAS_GROUPS.items() if name in names)
            expected = group if group in SYNAPSE_TYPES else (
                "run & files" if group == "other" else "neuron")
            assert where[cls] == expected, cls
    for synapse in SYNAPSE_TYPES:
        for field in ("kind", "rate", "times", "weight"):
            assert where[f"dynsim-input-{synapse}-{field}"] == "inputs"
    for cls in ("dynsim-lab-duration", "dynsim-lab-run", "dynsim-biases-reset",
                "dynsim-biases-download", "dynsim-biases-upload"):
        assert where[cls] == "run & files", cls
    # the unmodelled biases stay folded away, in the run & files tab
    folded = lab.controls_tab.children[-1].children[-1]
    assert type(folded).__name__ == "Accordion" and folded.selected_index is None
    assert folded.get_title(0) == "other (not modelled)"


def test_dynapse_legend_is_outside_the_traces():
    scope = CurrentScope(neurons=(0, 1), n_neurons=2)
    assert_legends_outside([scope.figure])
    scope.log_y = False  # a rebuilt figure too
    assert_legends_outside([scope.figure])
    scope.close()


# --------------------------------------------------------------------------- Loihi
def keep(labs, lab):
    labs.append(lab)
    assert lab.wait(120), "the first run did not finish"
    return lab


def test_loihi_lab_groups_every_control_in_one_tab(labs):
    lab = keep(labs, LoihiLab(engine="numpy", name="wl_layout"))
    assert_plot_beside_tabs(lab)
    groups = tab_groups(lab.controls_tab)
    assert list(groups) == ["neuron", "synapses", "run"]
    counts = Counter(cls for classes in groups.values() for cls in classes)
    for name in lab.controls:
        cls = f"dynsim-param-{name}"
        assert counts[cls] == 1 and cls in groups[param_group(name)], cls
    assert {"dynsim-lab-steps", "dynsim-lab-run"} <= set(groups["run"])
    assert_legends_outside(lab.scope.figures)


def test_loihi_float_lab_groups(labs):
    lab = keep(labs, LoihiLab.from_float(FloatLIF(tau_m=20, tau_syn=5, threshold=1.0),
                                          [[0.4]], [0, 0, 0], [1, 2, 3], steps=20,
                                          engine="numpy", name="wl_layout_float"))
    assert_plot_beside_tabs(lab)
    groups = tab_groups(lab.controls_tab)
    assert list(groups) == ["quantization", "float model", "run"]  # the scale first
    for name in ("tau_m", "tau_syn", "threshold"):
        assert f"dynsim-param-{name}" in groups["float model"]
    for name in ("scale", "convention"):
        assert f"dynsim-param-{name}" in groups["quantization"]
    assert_legends_outside(lab.scope.figures)


def test_many_trace_figures_share_one_height():
    """Four figures (v, u, traces, weights) take no more height than two (the bench fits)."""
    two = TraceScope(neurons=[0], threshold=10, steps=5)
    four = TraceScope(neurons=[0], synapses=[0, 1], traces=("x1", "y1"), weights=True,
                      threshold=10, steps=5)
    assert [p.key for p in four.panels] == ["v", "u", "traces", "w"]
    height = [sum(f.height for f in s.figures) for s in (two, four)]
    assert height[1] <= height[0] + 40, height
    assert four.figures[0].height >= max(f.height for f in four.figures[1:])
    assert_legends_outside(four.figures)
    four.show({"t_step": np.arange(3), "neurons": np.array([0]), "synapses": np.array([0, 1]),
               "v": np.array([[1, 2, 3]]), "u": np.array([[0, 0, 0]]),
               "x1": np.zeros((2, 3), int), "y1": np.ones((2, 3), int),
               "w": np.full((2, 3), 5), "spike_i": np.array([], int),
               "spike_t": np.array([], int)})
    assert four.source.data["w_s1"].tolist() == [5, 5, 5]
    two.close()
    four.close()
