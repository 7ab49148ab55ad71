"""Beginner layer: the dynapse-simulator API, its hardware rules and its error paths."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from brian2 import (
    Hz,
    NeuronGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    ms,
    nA,
    pA,
)
from hypothesis import given
from hypothesis import strategies as st

from dynsim.dynapse import DynapSE, Dynapse1Parameter, Dynapse1ParameterGroup, Mismatch
from dynsim.dynapse.chip import cam_counts
from dynsim.errors import (
    BiasRangeError,
    CAMAliasingError,
    CAMLimitError,
    CoreFullError,
    DynapseWeightWarning,
    InvalidConnectionError,
    InvalidCoreError,
    InvalidNeuronError,
    InvalidSettingError,
    UnknownBiasError,
    UnknownSynapseTypeError,
    WeightError,
)


def poisson_source(name, rate=100 * Hz, duration=300 * ms, n=1, seed=1):
    """A seeded Poisson spike source, as a seed user would make one."""
    rng = np.random.default_rng(seed)
    indices, times = [], []
    for k in range(n):
        t = np.cumsum(rng.exponential(1 / float(rate / Hz), size=200))
        t = np.unique(np.round(t[t < float(duration / ms) / 1000] * 1e4)) / 1e4
        indices += [k] * len(t)
        times += list(t)
    order = np.argsort(times, kind="stable")
    return SpikeGeneratorGroup(n, np.array(indices)[order], np.array(times)[order] * 1000 * ms,
                               name=name)


def snapshot(chip, synapses=()):
    """Everything a failed call must leave unchanged."""
    return (chip._used.copy(), [len(g) for g in chip._groups],
            [(s.name, len(s), s.variables["weight"].get_value().copy().tolist())
             for s in synapses],
            {(c, k): chip.get_bias(k, c).as_dict() for c in range(4) for k in range(4)})


def same(a, b):
    return (np.array_equal(a[0], b[0]) and a[1] == b[1] and a[2] == b[2] and a[3] == b[3])


#: The example of the dynapse-simulator README, verbatim except for the import line.
SEED_README_EXAMPLE = """
from dynsim.dynapse import DynapSE

network = Network() # Instantiate a Brian2 Network
chip = DynapSE(network) # Instantiate a Dynap-SE1 chip neural and synaptic silicon dynamics

DPI_neuron  = chip.get_neurons(1, 'Core_1') # Allocate single DPI neuron from Core 1
DPI_NMDA_synapse = chip.add_connection(input_spike_generator, DPI_neuron, synapse_type='NMDA')
DPI_AMPA_synapse = chip.add_connection(input_spike_generator, DPI_neuron, synapse_type='AMPA')
chip.connect(DPI_NMDA_synapse, True)
DPI_NMDA_synapse.weight = 0.5
chip.connect(DPI_AMPA_synapse, True)
DPI_AMPA_synapse.weight = 2

network.add([input_spike_generator, DPI_neuron, DPI_NMDA_synapse, DPI_AMPA_synapse, mon_neuron_input, mon_synapse_nmda, mon_synapse_ampa, mon_neuron_output, mon_neuron_state])
network.run(inp_duration * 1000 * ms)
"""  # noqa: E501


class SeedNotebook(dict):
    """The notebook's namespace: monitors appear when the example first uses them.

    A seed user creates them with Brian2 right after allocating ``DPI_neuron``; here they are
    made on first use so that the README's lines run as one unchanged block.
    """

    def __missing__(self, name):
        monitors = {
            "mon_neuron_input": lambda: SpikeMonitor(self["input_spike_generator"]),
            "mon_synapse_nmda": lambda: StateMonitor(self["DPI_neuron"], "Inmda", record=True),
            "mon_synapse_ampa": lambda: StateMonitor(self["DPI_neuron"], "Iampa", record=True),
            "mon_neuron_output": lambda: SpikeMonitor(self["DPI_neuron"]),
            "mon_neuron_state": lambda: StateMonitor(self["DPI_neuron"], ["Isoma_mem", "Imem"],
                                                     record=True),
        }
        if name not in monitors:
            raise KeyError(name)
        self[name] = monitors[name]()
        return self[name]


def test_seed_readme_example_runs_unchanged(numpy_target):
    import brian2

    seed_globals = {k: v for k, v in vars(brian2).items() if not k.startswith("_")}  # import *
    notebook = SeedNotebook(input_spike_generator=poisson_source("input_spike_generator",
                                                                 100 * Hz, 1000 * ms),
                            inp_duration=0.3)
    with pytest.warns(DynapseWeightWarning,
                      match="weight 0.5 was set to 1 CAM entry.*'PS_WEIGHT_EXC_S_N'"):
        exec(compile(SEED_README_EXAMPLE, "README.md", "exec"), seed_globals, notebook)
    neuron, nmda, ampa = notebook["DPI_neuron"], notebook["DPI_NMDA_synapse"], \
        notebook["DPI_AMPA_synapse"]
    assert notebook["mon_neuron_input"].num_spikes > 10
    assert nmda.weight[0] == 1 and ampa.weight[0] == 2
    assert notebook["mon_synapse_ampa"].Iampa.max() > 150 * pA  # two entries of ~100 pA
    assert notebook["mon_synapse_nmda"].Inmda.max() > 90 * pA
    state = notebook["mon_neuron_state"]
    assert np.array_equal(state.Isoma_mem, state.Imem)
    assert state.Imem.min() >= 1 * pA  # never below I0
    assert notebook["mon_neuron_output"].num_spikes > 0
    assert notebook["chip"].cam_usage(neuron).tolist() == [3]
    assert notebook["network"].t == 300 * ms


def test_allocation_names_chips_and_cores():
    chip = DynapSE(engine="numpy", name="alloc")
    a = chip.get_neurons(200, "Core_2")
    b = chip.get_neurons(56, 2)
    c = chip.get_neurons(10, "Core_0", chip_id=3)
    d = chip.get_neurons(5)  # first core with room
    assert (a.chip_id, a.core_id, len(a)) == (0, 2, 200)
    assert b.global_ids[0] == 2 * 256 + 200 and b.global_ids[-1] == 3 * 256 - 1
    assert (c.chip_id, c.core_id) == (3, 0) and c.global_ids[0] == 3 * 1024
    assert (d.chip_id, d.core_id) == (0, 0)
    assert chip.get_num_free_neurons("Core_2") == 0
    assert chip.get_num_free_neurons("Core_0", chip_id=3) == 246
    assert a.name == "alloc_chip0_core2_0" and b.name == "alloc_chip0_core2_200"
    assert "chip 3 Core_0" in repr(chip)


def test_allocation_errors_leave_the_chip_unchanged():
    chip = DynapSE(engine="numpy", name="allocerr")
    chip.get_neurons(250, "Core_1")
    before = snapshot(chip)
    with pytest.raises(CoreFullError, match="Core_1 of chip 0 has 256 neurons; 250 are allocated,"
                                            " 6 free, 7 requested"):
        chip.get_neurons(7, "Core_1")
    with pytest.raises(InvalidCoreError, match=r"Did you mean 'Core_1'.*Core_0, Core_1"):
        chip.get_neurons(1, "core_1")
    with pytest.raises(InvalidCoreError, match="Core_0, Core_1, Core_2, Core_3"):
        chip.get_neurons(1, "Core_4")
    with pytest.raises(InvalidCoreError, match="chip id 4 does not exist"):
        chip.get_neurons(1, "Core_0", chip_id=4)
    with pytest.raises(InvalidNeuronError, match=">= 1"):
        chip.get_neurons(0, "Core_0")
    with pytest.raises(InvalidNeuronError):
        chip.get_neurons(1.5, "Core_0")
    for k in (0, 2, 3):
        chip.get_neurons(250, k)
    with pytest.raises(CoreFullError, match="no core of chip 0 has 7 free neurons"):
        chip.get_neurons(7)
    chip2 = DynapSE(engine="numpy", name="allocerr2")
    assert same(snapshot(chip2), snapshot(DynapSE(engine="numpy", name="allocerr3")))
    assert before[3] == snapshot(chip)[3]


def test_set_bias_forms_and_physical_values():
    chip = DynapSE(engine="numpy", name="biasforms")
    neurons = chip.get_neurons(2, "Core_3", chip_id=1)
    chip.set_bias({"IF_DC_P": (2, 50), "Itau_ampa": 10 * pA,
                   "NPDPIE_THR_F_P": Dynapse1Parameter("NPDPIE_THR_F_P", 1, 100)}, "Core_3",
                  chip_id=1)
    group = chip.get_bias("Core_3", chip_id=1)
    assert group.param_map["IF_DC_P"].coarse_value == 2
    assert float(group.param_map["NPDPIE_TAU_F_P"].current / pA) == pytest.approx(10, rel=0.01)
    assert float(neurons.Idc[0] / pA) == pytest.approx(820 * 50 / 255)
    assert neurons.Itau_ampa[1] == group.param_map["NPDPIE_TAU_F_P"].current
    # other cores keep their defaults; later allocations get the core's biases
    assert chip.get_bias("Core_3").param_map["IF_DC_P"].fine_value == 0
    later = chip.get_neurons(1, "Core_3", chip_id=1)
    assert later.Idc[0] == neurons.Idc[0]
    chip.set_bias([Dynapse1Parameter("IF_DC_P", 0, 10)], "Core_3", chip_id=1)
    assert float(later.Idc[0] / pA) == pytest.approx(15 * 10 / 255)
    pg = Dynapse1ParameterGroup()
    chip.set_bias(pg, "Core_3", chip_id=1)
    assert later.Idc[0] == 0 * pA


def test_set_bias_errors_are_atomic():
    chip = DynapSE(engine="numpy", name="biaserr")
    neurons = chip.get_neurons(1, "Core_0")
    before, idc = snapshot(chip), neurons.Idc[0]
    for biases, error in [({"IF_DC_P": (1, 1), "IF_THR_N": (8, 0)}, BiasRangeError),
                          ({"IF_DC_P": (1, 1), "IF_THRN": (1, 0)}, UnknownBiasError),
                          ({"Idc": 1 * ms}, BiasRangeError)]:
        with pytest.raises(error):
            chip.set_bias(biases, "Core_0")
    with pytest.raises(InvalidCoreError):
        chip.set_bias({"IF_DC_P": (1, 1)}, "Core_9")
    with pytest.raises(InvalidCoreError):
        chip.set_bias({"IF_DC_P": (1, 1)})  # the core must be named
    assert same(before, snapshot(chip)) and neurons.Idc[0] == idc


def test_bias_parameters_cannot_be_set_per_neuron():
    chip = DynapSE(engine="numpy", name="protect")
    neurons = chip.get_neurons(2, "Core_0")
    with pytest.raises(InvalidSettingError, match=r"core-wide bias IF_DC_P.*chip.set_bias"):
        neurons.Idc = 1 * nA
    with pytest.raises(InvalidSettingError, match="computed from the core's biases"):
        neurons.k_ampa = 3 * Hz
    neurons.Imem = 5 * pA  # a state variable can be set (initial condition)
    assert neurons.Imem[0] == 5 * pA


def test_weights_are_cam_counts():
    chip = DynapSE(engine="numpy", name="weights")
    neurons = chip.get_neurons(3, "Core_0")
    source = SpikeGeneratorGroup(3, [], [] * ms, name="weights_src")
    syn = chip.add_connection(source, neurons, "GABA_A")
    chip.connect(syn, "i")
    assert syn.weight[:].tolist() == [1, 1, 1]  # one CAM entry per new synapse
    with pytest.warns(DynapseWeightWarning, match=r"weight 2.5 was set to 3 .*\(2 values"):
        syn.weight = [2.5, 0.2, 4]
    assert syn.weight[:].tolist() == [3, 1, 4]
    syn.weight = 0
    assert syn.weight[:].tolist() == [0, 0, 0]
    syn.weight[1] = 7
    syn.weight_[2] = 2
    assert syn.weight[:].tolist() == [0, 7, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        syn.weight = np.array([1, 2, 3])
    for bad, match in [(-1, ">= 0"), (np.nan, "finite"), ("2", "expression"),
                       (2 * pA, "without units"), (object(), "whole number")]:
        with pytest.raises(WeightError, match=match):
            syn.weight = bad
        with pytest.raises(WeightError):
            syn.weight[0] = bad
    assert syn.weight[:].tolist() == [1, 2, 3]


def test_cam_budget_is_checked_on_connect_and_on_weights():
    chip = DynapSE(engine="numpy", name="cams")
    neurons = chip.get_neurons(2, "Core_1")
    wide = SpikeGeneratorGroup(65, [], [] * ms, name="cams_wide")
    narrow = SpikeGeneratorGroup(40, [], [] * ms, name="cams_narrow")
    too_many = chip.add_connection(wide, neurons, "AMPA")
    before = snapshot(chip, [too_many])
    with pytest.raises(CAMLimitError, match=r"65 CAM entries \(65 AMPA\); a neuron has 64"):
        chip.connect(too_many, True)
    assert same(before, snapshot(chip, [too_many]))
    ampa = chip.add_connection(narrow, neurons, "AMPA")
    nmda = chip.add_connection(narrow, neurons, "NMDA")
    chip.connect(ampa, True)
    chip.connect(nmda, i=np.arange(24), j=np.zeros(24, dtype=int))
    assert chip.cam_usage(neurons).tolist() == [64, 40]
    state = snapshot(chip, [ampa, nmda])
    with pytest.raises(CAMLimitError, match=r"neuron 0 of Core_1 .* 65 CAM entries \(25 NMDA, "
                                            r"40 AMPA\)"):
        chip.connect(nmda, i=[30], j=[0])
    with pytest.raises(CAMLimitError):
        ampa.weight = 2
    with pytest.raises(CAMLimitError):
        nmda.weight[0] = 2
    with pytest.raises(CAMLimitError):
        ampa.weight["j == 1"] = 2  # 40 x 2 = 80 entries on neuron 1
    assert same(state, snapshot(chip, [ampa, nmda]))
    ampa.weight["j == 1"] = 1
    nmda.weight = 0  # frees 24 entries on neuron 0
    ampa.weight["j == 0"] = 1
    chip.connect(nmda, i=[30], j=[1])
    assert chip.cam_usage(neurons).tolist() == [40, 41]
    assert chip.cam_usage(neurons[1:2]).tolist() == [41]
    stranger = DynapSE(engine="numpy", name="cams_other").get_neurons(1, "Core_1")
    with pytest.raises(InvalidNeuronError, match="allocated on this chip"):
        chip.cam_usage(stranger)


@given(st.one_of(st.integers(0, 10**6), st.floats(0, 1e6, allow_nan=False)))
def test_cam_counts_round_half_up_and_keep_positive_weights(value):
    counts, note = cam_counts(value)
    count = int(counts)
    assert count >= 0 and (note is None) == (count == value)
    if value > 0:
        assert count >= 1
    if value >= 0.5:
        assert count - 0.5 <= value < count + 0.5


def test_connect_forms_and_errors():
    chip = DynapSE(engine="numpy", name="forms")
    neurons = chip.get_neurons(3, "Core_0")
    source = SpikeGeneratorGroup(2, [], [] * ms, name="forms_src")
    syn = chip.add_connection(source, neurons, "GABA_B")
    chip.connect(syn, False)
    assert len(syn) == 0
    for kwargs, match in [({"j": "i"}, "as many sources as targets"),
                          ({"j": "j == i"}, "j=True"),
                          ({"i": [0, 5], "j": [0, 1]}, "source index out of range"),
                          ({"i": [0], "j": [3]}, "target index out of range"),
                          ({"i": [0.5], "j": [1]}, "integer arrays"),
                          ({"i": [0, 1], "j": [1]}, "equal length")]:
        with pytest.raises(InvalidConnectionError, match=match):
            chip.connect(syn, **kwargs)
    assert len(syn) == 0
    other = DynapSE(engine="numpy", name="forms_other")
    with pytest.raises(InvalidConnectionError, match="this chip's add_connection"):
        other.connect(syn, True)
    with pytest.raises(InvalidConnectionError, match=r"allocated with chip\.get_neurons"):
        chip.add_connection(source, NeuronGroup(1, "v:1", name="forms_plain"), "AMPA")
    with pytest.raises(InvalidConnectionError, match="emits spikes"):
        chip.add_connection([1, 2], neurons, "AMPA")
    with pytest.raises(UnknownSynapseTypeError, match="Did you mean 'GABA_A'"):
        chip.add_connection(source, neurons, "GABA-A")
    chip.connect(syn, i=[0, 1], j=[2, 2])
    assert syn.j[:].tolist() == [2, 2]
    sliced = chip.add_connection(source, neurons[1:3], "AMPA")
    chip.connect(sliced, True)
    assert chip.cam_usage(neurons).tolist() == [0, 2, 4]
    assert syn.name == "forms_GABA_B0" and sliced.name == "forms_AMPA0"


def test_aliasing_between_chips_is_refused():
    chip = DynapSE(engine="numpy", name="alias")
    sources0 = chip.get_neurons(4, "Core_1", chip_id=0)
    sources1 = chip.get_neurons(4, "Core_1", chip_id=1)
    target = chip.get_neurons(2, "Core_0", chip_id=2)
    elsewhere = chip.get_neurons(1, "Core_2", chip_id=2)
    first = chip.add_connection(sources0, target, "AMPA")
    chip.connect(first, i=[3], j=[0])
    second = chip.add_connection(sources1, target, "NMDA")
    before = snapshot(chip, [first, second])
    with pytest.raises(CAMAliasingError, match=r"neuron 3 of Core_1 on chip 1 .* chip 0 .*"
                                               r"Core_0 of chip 2"):
        chip.connect(second, i=[3], j=[1])
    assert same(before, snapshot(chip, [first, second]))
    chip.connect(second, i=[2], j=[1])  # another tag: fine
    third = chip.add_connection(sources1, elsewhere, "NMDA")
    chip.connect(third, i=[3], j=[0])  # same tag into another core: fine
    cfg = chip.get_configuration()
    assert cfg.chips[2].cores[0].neurons[0].synapses[0].astuple() == (3, 3, 1)
    dest = cfg.chips[1].cores[1].neurons[3].destinations[0]
    assert dest.in_use and dest.target_chip_id == 2 and dest.core_mask == 0b100


def test_mismatch_is_seeded_and_off_by_default():
    plain = DynapSE(engine="numpy", name="mm_plain").get_neurons(8, "Core_0")
    assert np.ptp(plain.Itau_mem[:]) == 0 * pA
    groups = [DynapSE(engine="numpy", mismatch=Mismatch(0.2, seed=s), name=f"mm{k}")
              .get_neurons(8, "Core_0") for k, s in enumerate((3, 3, 4))]
    a, b, c = (np.asarray(g.Itau_mem_) for g in groups)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    spread = np.std(np.log(a / 5e-12))
    assert 0.05 < spread < 0.4
    with pytest.raises(InvalidSettingError):
        Mismatch(sigma=-0.1)
    with pytest.raises(InvalidSettingError):
        Mismatch(distribution="uniform")
    gaussian = Mismatch(0.1, seed=1, distribution="gaussian").factors([0, 1])
    assert gaussian.shape == (2, 25) and np.all(gaussian > 0)


def test_constructor_errors():
    with pytest.raises(InvalidSettingError, match=r"brian2\.Network"):
        DynapSE("network")
    with pytest.raises(InvalidSettingError, match="identifier"):
        DynapSE(name="my chip")
    with pytest.raises(InvalidSettingError, match="Mismatch"):
        DynapSE(mismatch=0.1)
