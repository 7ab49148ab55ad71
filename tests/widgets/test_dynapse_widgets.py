"""DYNAP-SE widgets without a browser: set a control's value, check the chip and the plot data."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pytest
from brian2 import Hz, Network, ms, pA, second
from dynsim.widgets import BiasPanel, CurrentScope, InputPanel, format_current, format_time
from dynsim.widgets._worker import simulation_lock
from widget_helpers import dom_classes

from dynsim.dynapse import (
    BIAS_GROUPS,
    BIAS_NAMES,
    BIAS_TABLE,
    DynapSE,
    Dynapse1Model,
    Experiment,
    bias_current,
    default_biases,
    parameter_group_to_json,
    time_constant,
)
from dynsim.dynapse.constants import COARSE_MAX, COARSE_MIN, FINE_MAX, FINE_MIN
from dynsim.errors import BiasRangeError, ConfigurationFormatError


def dc(exp):
    """(coarse, fine) of IF_DC_P on the experiment's core."""
    p = exp.get_bias().param_map["IF_DC_P"]
    return p.coarse_value, p.fine_value


# --------------------------------------------------------------------------- bias panel
def test_bias_panel_is_derived_from_the_bias_table():
    panel = BiasPanel(Experiment(1, engine="numpy", name="wt_table"))
    assert list(panel.controls) == [n for group in BIAS_GROUPS.values() for n in group]
    assert sorted(panel.controls) == sorted(BIAS_NAMES)
    for spec in BIAS_TABLE:
        row = panel.controls[spec.samna_name]
        assert (row.coarse.min, row.coarse.max) == (COARSE_MIN, COARSE_MAX)
        assert (row.fine.min, row.fine.max) == (FINE_MIN, FINE_MAX)
        assert row.value == spec.default
        assert spec.role == row.label.tooltip and spec.physical_name in row.label.value
        assert format_current(float(bias_current(spec.samna_name, *spec.default) / pA) * 1e-12) \
            in row.readout.value
        tau = time_constant(spec.samna_name)
        assert (tau is not None) == (("τ" in row.readout.value)
                                     or ("refr" in row.readout.value))
        if tau is not None:
            assert format_time(float(tau / second)) in row.readout.value
        assert ("not modelled" in row.label.value) == (not spec.modelled)
    classes = Counter(dom_classes(panel.widget))
    for name in BIAS_NAMES:
        assert classes[f"dynsim-bias-{name}-coarse"] == classes[f"dynsim-bias-{name}-fine"] == 1
    # the group whose biases are all unmodelled is folded away and says so
    folded = [w for w in _walk(panel.widget) if type(w).__name__ == "Accordion"]
    assert len(folded) == 1 and folded[0].selected_index is None
    assert folded[0].get_title(0) == "other (not modelled)"


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def test_bias_panel_drives_each_kind_of_chip():
    exp = Experiment(1, engine="numpy", name="wt_chips", core="Core_2")
    BiasPanel(exp, "Core_2").controls["IF_DC_P"].fine.value = 77
    assert dc(exp) == (0, 77)

    chip = DynapSE(Network(), engine="numpy", name="wt_chip")
    neurons = chip.get_neurons(1, "Core_1")
    panel = BiasPanel(chip, "Core_1")
    panel.controls["NPDPIE_TAU_F_P"].coarse.value = 2
    assert chip.get_bias("Core_1").param_map["NPDPIE_TAU_F_P"].coarse_value == 2
    assert float(neurons.Itau_ampa[0] / pA) == pytest.approx(
        float(bias_current("NPDPIE_TAU_F_P", 2, 49) / pA))  # reached the neuron group
    assert chip.get_bias("Core_0").param_map["NPDPIE_TAU_F_P"].coarse_value == 1  # other core

    model = Dynapse1Model(engine="numpy", name="wt_model")
    panel = BiasPanel(model, 3, chip_id=1)
    panel.controls["IF_AHW_P"].fine.value = 200
    group = model.get_configuration().chips[1].cores[3].parameter_group
    assert group.param_map["IF_AHW_P"].fine_value == 200
    panel.reset()
    group = model.get_configuration().chips[1].cores[3].parameter_group
    assert group.as_dict() == default_biases()


class PickyChip:
    """A chip whose set_bias rejects some values (as hardware rules might), all or nothing."""

    def __init__(self):
        self.exp = Experiment(1, engine="numpy", name="wt_picky")

    def set_bias(self, biases, core):
        if biases.get("IF_DC_P", (0, 0))[1] > 200:
            raise BiasRangeError("IF_DC_P: fine values above 200 are reserved on this chip")
        self.exp.set_bias(biases, core)

    def get_bias(self, core):
        return self.exp.get_bias()


def test_a_rejected_value_shows_an_error_and_the_slider_returns(thread_errors):
    chip = PickyChip()
    panel = BiasPanel(chip, "Core_0")
    fine = panel.controls["IF_DC_P"].fine
    fine.value = 150
    assert dc(chip.exp) == (0, 150) and panel.host.status.error_text == ""
    fine.value = 230  # no exception reaches the caller
    assert panel.host.status.error_text.startswith("BiasRangeError: IF_DC_P: fine values above")
    assert dc(chip.exp) == (0, 150) and fine.value == 150
    assert "150" in panel.host.status.text or panel.host.status.text == "IF_DC_P = (0, 150): " \
        + format_current(float(bias_current("IF_DC_P", 0, 150) / pA) * 1e-12)
    fine.value = 180
    assert panel.host.status.error_text == "" and dc(chip.exp) == (0, 180)
    assert thread_errors == []


def test_save_load_json_round_trip(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # bias files live in the notebook's folder
    exp = Experiment(1, engine="numpy", name="wt_json", core="Core_1")
    panel = BiasPanel(exp)
    panel.set_bias({"IF_DC_P": (2, 33), "Itau_ampa": 10 * pA})
    saved = panel.save(tmp_path / "core1.json")
    data = json.loads(saved.read_text())
    assert data["value0"]["core_id"] == 1 and len(data["value0"]["param_map"]) == 25
    assert saved.read_text() == parameter_group_to_json(exp.get_bias())
    panel.reset()
    assert exp.get_bias().as_dict() == default_biases()
    assert panel.values() == default_biases()
    panel.load(saved)
    assert dc(exp) == (2, 33) and panel.controls["IF_DC_P"].value == (2, 33)
    # the buttons: a relative path is the kernel's working directory
    monkeypatch.chdir(tmp_path)
    panel.path.value = "via_button.json"
    panel.save_button.click()
    assert (tmp_path / "via_button.json").read_text() == saved.read_text()
    assert "download via_button.json" in panel.download.value
    panel.reset_button.click()
    assert dc(exp) == (0, 0)
    panel.load_button.click()
    assert dc(exp) == (2, 33)
    # an upload (Voila and JupyterLab: the file comes from the student's machine)
    other = Experiment(1, engine="numpy", name="wt_json_other")
    upload_panel = BiasPanel(other)
    upload_panel.upload.value = ({"name": "core1.json", "type": "application/json",
                                  "size": 1, "content": memoryview(saved.read_bytes()),
                                  "last_modified": datetime.now(UTC)},)
    assert other.get_bias().as_dict() == exp.get_bias().as_dict()
    assert upload_panel.host.status.text == "biases loaded from core1.json"


def test_bad_json_raises_in_python_and_shows_in_the_panel(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # bias files live in the notebook's folder
    exp = Experiment(1, engine="numpy", name="wt_badjson")
    panel = BiasPanel(exp)
    bad = tmp_path / "bad.json"
    bad.write_text('{"value0": {"param_map": [{"key": "IF_DC_Q", "value": '
                   '{"coarse_value": 1, "fine_value": 2}}]}}')
    with pytest.raises(ConfigurationFormatError, match="IF_DC_P"):
        panel.load(bad)
    panel.path.value = str(bad)
    panel.load_button.click()
    assert panel.host.status.error_text.startswith("ConfigurationFormatError: value0.param_map")
    panel.path.value = str(tmp_path / "missing.json")
    panel.load_button.click()
    assert panel.host.status.error_text.startswith("FileNotFoundError")
    assert exp.get_bias().as_dict() == default_biases()


# --------------------------------------------------------------------------- input panel
def test_input_panel_kinds_and_bad_values():
    exp = Experiment(1, engine="numpy", name="wt_inputs")
    panel = InputPanel(exp)
    ampa = panel.rows["AMPA"]
    ampa.kind.value = "poisson"
    ampa.rate.value = 80.0
    ampa.weight.value = 3
    assert exp.inputs["AMPA"].kind == "poisson" and exp.inputs["AMPA"].rate == 80.0
    assert exp.inputs["AMPA"].weight == 3
    ampa.kind.value = "regular"
    assert exp.inputs["AMPA"].kind == "regular" and ampa.times.layout.display == "none"
    ampa.kind.value = "spikes"
    assert ampa.rate.layout.display == "none" and ampa.times.layout.display == ""
    ampa.times.value = "30, 10 ,20"
    assert exp.inputs["AMPA"].times == (0.01, 0.02, 0.03)
    before = exp.inputs
    ampa.times.value = "10, 2O"  # letter O: not a number
    assert panel.host.status.error_text.startswith(
        "InvalidSettingError: spike pattern: '2O' is not a number")
    assert exp.inputs == before and ampa.times.value == "10, 20, 30"
    ampa.weight.value = 70  # over the 64 CAM entries
    assert panel.host.status.error_text.startswith("CAMLimitError")
    assert exp.inputs == before and ampa.weight.value == 3
    panel.rows["NMDA"].kind.value = "poisson"
    panel.rows["NMDA"].rate.value = -5.0
    assert "must be finite and >= 0" in panel.host.status.error_text
    assert panel.rows["NMDA"].rate.value == 0.0
    ampa.kind.value = "off"
    assert "AMPA" not in exp.inputs and panel.host.status.error_text == ""


# --------------------------------------------------------------------------- scope
def test_scope_decimates_keeps_spikes_and_switches_log_scale():
    exp = Experiment(1, engine="numpy", name="wt_scope")
    exp.set_input("AMPA", rate=300 * Hz, weight=8)
    recording = exp.run(1 * second)
    assert len(recording.spike_times) > 5
    scope = CurrentScope(duration=1 * second, max_points=2000)
    scope.show(recording)
    data = scope.source.data
    assert set(data) == {"t", "Imem_0", "Iahp_0", "I_ampa_0", "I_nmda_0", "I_gaba_a_0",
                         "I_gaba_b_0"}
    assert len(data["t"]) <= 2100 and data["t"][-1] == pytest.approx(999.9)
    imem = np.asarray(recording.Imem[0] / pA)
    assert data["Imem_0"].max() == imem.max()  # the peaks survive decimation
    assert scope.source.name == "dynsim-currents" and scope.spikes.name == "dynsim-spikes"
    np.testing.assert_allclose(scope.spikes.data["t"], np.asarray(recording.spike_times / ms))
    assert type(scope.figure.y_scale).__name__ == "LogScale"
    assert "pA" in scope.figure.yaxis[0].axis_label
    assert "ms" in scope.raster.xaxis[0].axis_label
    old = scope.figure
    scope.log_toggle.value = False
    assert type(scope.figure.y_scale).__name__ == "LinearScale" and scope.figure is not old
    assert scope.root.children[0] is scope.figure
    assert scope.figure.renderers[0].data_source is scope.source  # same data, new axis
    scope.log_y = True
    assert scope.log_toggle.value is True and type(scope.figure.y_scale).__name__ == "LogScale"


def test_a_new_view_gets_the_current_data():
    """A view created after data changed (Voila, a reload) is sent a fresh snapshot."""
    exp = Experiment(1, engine="numpy", name="wt_views")
    scope = CurrentScope(duration=50 * ms)
    snapshot = json.dumps(scope.model.render_bundle)
    scope.show(exp.run(50 * ms))
    assert json.dumps(scope.model.render_bundle) == snapshot  # BokehModel keeps the old one
    scope.model._view_count = 1  # what the front-end sends when a view is displayed
    fresh = json.dumps(scope.model.render_bundle)
    assert fresh != snapshot and "dynsim-currents" in fresh
    scope.model._view_count = 0  # a view closed: nothing to send
    assert json.dumps(scope.model.render_bundle) == fresh


def test_a_new_view_of_an_unchanged_document_keeps_the_snapshot():
    """No new snapshot (every view drawn again) when nothing changed since the last."""
    scope = CurrentScope(duration=50 * ms)
    bundle = scope.model.render_bundle
    scope.model._view_count = 1
    assert scope.model.render_bundle is bundle and not scope.model.stale
    # a change made in the page (setter: the widget itself) counts too: a later view gets it
    scope._x_range.set_from_json("start", 5.0, setter=scope.model)
    assert scope.model.stale
    scope.model._view_count = 2
    assert not scope.model.stale and '"start":5.0' in json.dumps(
        scope.model.render_bundle, separators=(",", ":"))
    assert scope.model.freshen() is False  # nothing new since


def test_displaying_a_bench_waits_for_its_run_and_sends_its_data_before_the_first_view(
        make_lab, monkeypatch):
    """The bench's display waits for the run under way (up to ``DISPLAY_WAIT``) and carries
    a current snapshot; the first view then needs none (it is drawn once, with the data)."""
    import dynsim.widgets.bench as bench

    monkeypatch.setattr(bench, "DISPLAY_WAIT", 120.0)  # any machine's first run: no race
    lab = make_lab()
    made = json.dumps(lab.scope.model.render_bundle)
    lab._repr_mimebundle_()  # at once: the first run is under way
    assert not lab.busy and lab.runs == 1
    bundle = lab.scope.model.render_bundle
    assert not lab.scope.model.stale and json.dumps(bundle) != made
    lab.scope.model._view_count = 1  # the page made the view from it
    assert lab.scope.model.render_bundle is bundle


# --------------------------------------------------------------------------- the bench
def test_bench_layout_hooks_and_display(make_lab):
    lab = make_lab()
    classes = Counter(dom_classes(lab.widget))
    for name in ("dynsim-bench", "dynsim-error", "dynsim-status"):
        assert classes[name] == 1, name
    for name in BIAS_NAMES:
        assert classes[f"dynsim-bias-{name}-coarse"] == classes[f"dynsim-bias-{name}-fine"] == 1
    assert lab.status.error.value == ""
    bundle = lab._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == lab.widget.model_id
    assert bundle["text/plain"] == "DynapseLab (1 neuron on Core_0 of chip 0)"
    assert lab.recording.Imem.shape == (1, 1000) and lab.runs == 1
    assert set(lab.experiment.inputs) == {"AMPA", "NMDA", "GABA_A", "GABA_B"}
    assert "100 ms simulated in" in lab.status.text and "spike" in lab.status.text


def test_slider_change_reaches_the_chip_and_the_plot(make_lab):
    lab = make_lab()
    before = lab.scope.source.data["Imem_0"].copy()
    lab.bias_panel.controls["IF_DC_P"].coarse.value = 2
    lab.bias_panel.controls["IF_DC_P"].fine.value = 40
    assert lab.wait(60)
    assert dc(lab.experiment) == (2, 40)
    after = lab.scope.source.data["Imem_0"]
    assert not np.array_equal(before, after)
    # the plot shows exactly a simulation with the new bias
    check = Experiment(1, engine="numpy", name="wt_check")
    for name, spec in lab.experiment.inputs.items():
        check.set_input(name, rate=spec.rate * Hz, kind=spec.kind, weight=spec.weight)
    check.set_bias({"IF_DC_P": (2, 40)})
    expected = lab.scope.data_for(check.run(100 * ms))[0]["Imem_0"]
    np.testing.assert_allclose(after, expected)
    lab.set_bias({"Itau_mem": 8 * pA})  # the Python API moves the sliders too
    assert lab.wait(60)
    tau = lab.experiment.get_bias().param_map["IF_TAU1_N"]
    assert lab.bias_panel.controls["IF_TAU1_N"].value == (tau.coarse_value, tau.fine_value)
    assert tau.current == pytest.approx(8e-12, rel=0.01)
    with pytest.raises(BiasRangeError):
        lab.set_bias({"IF_DC_P": (9, 0)})


def test_rapid_changes_simulate_only_the_last_value(make_lab):
    lab = make_lab()
    fine = lab.bias_panel.controls["IF_DC_P"].fine
    runs = lab.runs
    simulated = []
    original = lab.experiment.run

    def spy(*args, **kwargs):
        simulated.append(dc(lab.experiment))
        return original(*args, **kwargs)

    lab.experiment.run = spy
    with simulation_lock():  # the worker cannot start: everything pending merges
        for value in range(10, 110, 5):
            fine.value = value
    assert lab.wait(60)
    assert lab.runs == runs + 1 and simulated == [(0, 105)]
    # and during a drag with the worker free: at most one run behind the running one
    runs = lab.runs
    for value in range(120, 200, 2):
        fine.value = value
    assert lab.wait(60)
    assert lab.runs - runs <= 3 and simulated[-1] == (0, 198) == dc(lab.experiment)


def test_a_failing_run_keeps_the_previous_plot_and_chip(make_lab, thread_errors):
    lab = make_lab()
    data = dict(lab.scope.source.data)
    updates, runs = lab.scope.updates, lab.runs
    original = lab.experiment.run

    def broken(*args, **kwargs):
        raise RuntimeError("the emulated chip overheated")

    lab.experiment.run = broken
    lab.bias_panel.controls["IF_DC_P"].fine.value = 99  # no exception here (the kernel)
    assert lab.wait(60) and lab.runs == runs + 1
    assert lab.error_text == "RuntimeError: the emulated chip overheated"
    assert "traceback" in lab.status.error.value
    assert dc(lab.experiment) == (0, 0)  # the bias was restored
    assert lab.bias_panel.controls["IF_DC_P"].value == (0, 0)  # the slider returned
    assert lab.scope.updates == updates and lab.scope.source.data is not None
    for key, column in data.items():
        assert np.array_equal(lab.scope.source.data[key], column)
    assert "previous settings" in lab.status.text
    with pytest.raises(RuntimeError, match="overheated"):
        lab.run(timeout=60)
    lab.experiment.run = original
    lab.bias_panel.controls["IF_DC_P"].fine.value = 99
    assert lab.wait(60) and lab.error_text == "" and lab.status.error.value == ""
    assert dc(lab.experiment) == (0, 99) and lab.scope.updates > updates
    assert thread_errors == []


def test_bad_inputs_in_the_bench(make_lab, thread_errors):
    lab = make_lab()
    data = lab.scope.source.data["I_ampa_0"].copy()
    inputs = lab.experiment.inputs
    row = lab.input_panel.rows["AMPA"]
    row.weight.value = 64  # 64 + the other inputs' 6 > 64 CAM entries
    assert lab.wait(60)
    assert lab.error_text.startswith("CAMLimitError") and row.weight.value == 4
    assert lab.experiment.inputs == inputs
    assert np.array_equal(lab.scope.source.data["I_ampa_0"], data)
    row.kind.value = "spikes"
    row.times.value = "5, 50, x"
    assert lab.wait(60)
    assert "'x' is not a number" in lab.error_text and row.kind.value == "poisson"
    assert lab.experiment.inputs == inputs
    lab.set_input("AMPA", kind="spikes", times=[5, 50])
    assert lab.wait(60) and lab.error_text == ""
    assert lab.experiment.inputs["AMPA"].times == (0.005, 0.05)
    ampa = lab.scope.source.data["I_ampa_0"]
    t = lab.scope.source.data["t"]
    assert ampa[t < 5].max() == pytest.approx(1.0) and ampa[(t > 5) & (t < 20)].max() > 50
    assert thread_errors == []


def test_runtime_engine_streams_into_the_plot_with_progress(make_lab):
    lab = make_lab(duration=400 * ms)
    seen = []
    show = lab.scope.show

    def spy(recording):
        seen.append((recording.progress, len(recording.t), lab.status.bar.value,
                     lab.status.bar.layout.display))
        show(recording)

    lab.scope.show = spy
    recording = lab.run(timeout=120)
    assert len(seen) >= 5 and seen[-1][0] == 1.0
    partial = [s for s in seen if s[0] < 1.0]
    assert len(partial) >= 4  # the plot got data before the run ended
    assert all(a[1] < b[1] for a, b in itertools.pairwise(partial))
    assert partial[-1][2] > partial[0][2] and partial[-1][3] == ""  # progress bar shown
    assert lab.status.bar.layout.display == "none"  # and hidden at the end
    assert recording.Imem.shape == (1, 4000) and lab.recording is recording


def test_duration_and_neuron_controls(make_lab):
    lab = make_lab(n_neurons=3, neurons=(0, 2), duration=50 * ms)
    assert {k for k in lab.scope.source.data if k.startswith("Imem")} == {"Imem_0", "Imem_2"}
    lab.scope.neuron_picker.value = (1,)
    assert set(lab.scope.source.data) == {"t", *(f"{c}_1" for c in
                                                 ("Imem", "Iahp", "I_ampa", "I_nmda",
                                                  "I_gaba_a", "I_gaba_b"))}
    lab.duration_control.value = 0.1
    assert lab.wait(60) and lab.recording.t.shape == (1000,)
    assert lab.scope.source.data["t"][-1] == pytest.approx(99.9)
    assert lab.run(duration=20 * ms).t.shape == (200,) and lab.duration == 0.02


def test_wraps_a_given_experiment(make_lab):
    exp = Experiment(2, engine="numpy", name="wt_given", core="Core_3", seed=3)
    exp.set_input("NMDA", rate=60 * Hz, weight=5)
    lab = make_lab(experiment=exp, duration=50 * ms)
    assert lab.experiment is exp and set(exp.inputs) == {"NMDA"}
    assert lab.input_panel.rows["NMDA"].kind.value == "poisson"
    assert lab.input_panel.rows["AMPA"].kind.value == "off"
    assert lab.recording.Imem.shape == (2, 500)
    assert "Biases of Core_3 of chip 0" in lab.bias_panel.widget.children[0].children[0].value
