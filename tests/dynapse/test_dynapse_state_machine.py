"""A hypothesis state machine over the public DYNAP-SE API (issue 14).

Random sequences of valid and invalid calls on the three front doors (the beginner layer
``DynapSE``, the samna layer ``Dynapse1Model`` and the bench engine ``Experiment``) hold three
rules at every step:

* every failure is a :mod:`dynsim.errors` class (never a built-in exception);
* a failed call leaves the exported configuration, the CAM usage, the synapses and the
  parameters exactly as they were;
* at the end the three still run (a short run, numpy engine).

Settings: tiny networks, the numpy engine, ``max_examples`` and ``stateful_step_count`` chosen
to keep the test under ~60 s on a loaded 2-core CI runner.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
from brian2 import Hz, Network, SpikeGeneratorGroup, ms, pA, second
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from dynsim.dynapse import (
    DynapSE,
    Dynapse1Model,
    Dynapse1Parameter,
    Dynapse1ParameterGroup,
    Experiment,
    NetworkGenerator,
    Neuron,
)
from dynsim.dynapse.board import board_of
from dynsim.engine import codeobj_class
from dynsim.errors import DynsimError

_NAMES = itertools.count()

#: Integers and non-integers a user may type where a whole number is expected.
ODD_NUMBERS = [0, 1, 2, 3, 63, 64, 65, -1, 1.5, 0.2, True, 2**31 + 1, 2**63, 10**30,
               np.uint64(2**64 - 1), np.int8(-3), np.float64("nan"), float("inf"), "2", None]
WEIGHTS = st.sampled_from(ODD_NUMBERS) | st.integers(-3, 70) | st.floats(-1, 80)
CORES = st.sampled_from(["Core_0", "Core_1", 2, 3, "Core_4", "core_1", 4, -1, 1.0, True])
CHIPS = st.sampled_from([0, 1, 3, 4, -1, 1.0, np.int64(2)])
BIASES = st.sampled_from([
    {"IF_DC_P": (1, 100)}, {"IF_DC_P": (8, 100)}, {"IF_DC_P": (1, 256)},
    {"Itau_mem": 5 * pA}, {"Itau_mem": 5 * ms}, {"Idc": -1 * pA}, {"IF_NOPE": (1, 1)},
    {"IF_TAU1_N": (2, 40), "PS_WEIGHT_EXC_F_N": (2**31 + 1, 0)}, {"IF_DC_P": (1.5, 2)},
    {"NPDPIE_TAU_F_P": (np.uint64(2**64 - 1), 1)}, {}, "IF_DC_P", 3, [1, 2],
])
DURATIONS = st.sampled_from([0.3 * ms, 0.5 * ms, 1 * ms, 0 * ms, -1 * ms, 5, 1e9 * second,
                             float("nan") * ms, 1 * pA])


class DynapseMachine(RuleBasedStateMachine):
    """The three front doors under random calls."""

    def __init__(self) -> None:
        super().__init__()
        tag = f"sm{next(_NAMES)}"
        self.network = Network()
        self.chip = DynapSE(self.network, engine="numpy", name=f"{tag}chip")
        self.sources = [SpikeGeneratorGroup(3, [0, 1, 2], [0.1, 0.2, 0.3] * ms,
                                            name=f"{tag}_source",
                                            codeobj_class=codeobj_class("numpy"))]
        self.network.add(self.sources)
        self.groups: list = []
        self.synapses: list = []
        self.model = Dynapse1Model(engine="numpy", name=f"{tag}model")
        self.experiment = Experiment(2, core="Core_1", engine="numpy", name=f"{tag}exp")

    # ------------------------------------------------------------------ invariant helpers
    def snapshot(self) -> tuple:
        chip, model, exp = self.chip, self.model, self.experiment
        return (
            chip.get_configuration().to_json(), chip._usage().tolist(), chip._used.tolist(),
            [(s.name, len(s), s.variables["weight"].get_value().tolist()) for s in
             self.synapses],
            [(g.name, len(g), np.asarray(g.Idc_).tolist()) for g in self.groups],
            model.get_configuration().to_json(), list(model._monitored), model.time_s,
            exp.inputs, exp.get_bias().as_dict(), exp.seed,
        )

    def attempt(self, action):
        """Run ``action``; a failure must be a dynsim error that changed nothing."""
        before = self.snapshot()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return action()
            except DynsimError:
                assert self.snapshot() == before
                return None

    # ------------------------------------------------------------------ beginner layer
    @precondition(lambda self: len(self.groups) < 4)
    @rule(n=st.sampled_from([1, 2, 3, 0, 300, 1.5, True, np.int16(2)]), core=CORES,
          chip_id=CHIPS)
    def get_neurons(self, n, core, chip_id):
        group = self.attempt(lambda: self.chip.get_neurons(n, core, chip_id))
        if group is not None:
            self.groups.append(group)

    @precondition(lambda self: self.groups and len(self.synapses) < 5)
    @rule(data=st.data(), kind=st.sampled_from(["AMPA", "NMDA", "GABA_A", "gaba_b", "KAINATE",
                                                 3, 7]))
    def add_connection(self, data, kind):
        source = data.draw(st.sampled_from(self.sources + self.groups))
        target = data.draw(st.sampled_from(self.groups + self.sources))
        if data.draw(st.booleans()) and len(source) > 1:
            source = source[0:2] if hasattr(source, "_spikespace") and not isinstance(
                source, SpikeGeneratorGroup) else source
        syn = self.attempt(lambda: self.chip.add_connection(source, target, kind))
        if syn is not None:
            self.synapses.append(syn)

    @precondition(lambda self: self.synapses)
    @rule(data=st.data(), form=st.sampled_from(["chip_true", "chip_false", "chip_i", "chip_pairs",
                                                "chip_bad", "true", "j_i", "condition",
                                                "p", "pairs", "bad_expression", "empty"]))
    def connect(self, data, form):
        syn = data.draw(st.sampled_from(self.synapses))
        n_pre, n_post = len(syn.source), len(syn.target)
        pairs = data.draw(st.lists(st.tuples(st.integers(-1, n_pre), st.integers(-1, n_post)),
                                   max_size=4))
        i = np.array([a for a, _ in pairs], dtype=int)
        j = np.array([b for _, b in pairs], dtype=int)
        actions = {
            "chip_true": lambda: self.chip.connect(syn, True),
            "chip_false": lambda: self.chip.connect(syn, False),
            "chip_i": lambda: self.chip.connect(syn, "i"),
            "chip_pairs": lambda: self.chip.connect(syn, j, i=i),
            "chip_bad": lambda: self.chip.connect(syn, "x"),
            "true": lambda: syn.connect(True),
            "j_i": lambda: syn.connect(j="i"),
            "condition": lambda: syn.connect("i != j"),
            "p": lambda: syn.connect(p=0.5),
            "pairs": lambda: syn.connect(i=i, j=j),
            "bad_expression": lambda: syn.connect("i +* 2"),
            "empty": lambda: syn.connect(),
        }
        self.attempt(actions[form])

    @precondition(lambda self: self.synapses)
    @rule(data=st.data(), weight=WEIGHTS, indexed=st.booleans())
    def set_weight(self, data, weight, indexed):
        syn = data.draw(st.sampled_from(self.synapses))

        def assign():
            if indexed:
                syn.weight[data.draw(st.sampled_from([0, slice(None), "j == 0", 10**6]))] = weight
            else:
                syn.weight = weight

        self.attempt(assign)

    @rule(biases=BIASES, core=CORES, chip_id=CHIPS)
    def set_bias(self, biases, core, chip_id):
        self.attempt(lambda: self.chip.set_bias(biases, core, chip_id))

    # ------------------------------------------------------------------ samna layer
    @rule(source=st.sampled_from(["chip", "generator", "garbage"]))
    def apply_configuration(self, source):
        def config():
            if source == "chip":
                return self.chip.get_configuration()
            if source == "generator":
                net = NetworkGenerator()
                net.add_connection(Neuron(0, 0, 1, is_spike_gen=True), Neuron(0, 1, 2), "AMPA")
                return net.make_dynapse1_configuration()
            return {"chips": []}

        self.attempt(lambda: self.model.apply_configuration(config()))

    @rule(name=st.sampled_from(["IF_DC_P", "IF_TAU1_N", "BOGUS"]), coarse=WEIGHTS,
          fine=WEIGHTS, chip_id=CHIPS, core=CORES, whole_group=st.booleans())
    def update_parameter(self, name, coarse, fine, chip_id, core, whole_group):
        def update():
            parameter = Dynapse1Parameter(name, coarse, fine)
            if whole_group:
                group = Dynapse1ParameterGroup()
                group.param_map[name] = parameter
                self.model.update_parameter_group(group, chip_id, core)
            else:
                self.model.update_single_parameter(parameter, chip_id, core)

        self.attempt(update)

    @rule(ids=st.sampled_from([[1], [258, 1539], [1.7], [4096], [-1], "1", 5, [np.int32(7)],
                               [True], [2**70]]),
          variables=st.sampled_from([None, ["Imem"], ["Vmem"], "Imem"]))
    def monitor(self, ids, variables):
        self.attempt(lambda: self.model.monitor(ids, variables))

    @rule(duration=DURATIONS)
    def model_run(self, duration):
        self.attempt(lambda: self.model.run(duration))

    # ------------------------------------------------------------------ experiment
    @rule(kind=st.sampled_from(["AMPA", "NMDA", "GABA_B", "KAINATE"]),
          rate=st.sampled_from([50 * Hz, 0 * Hz, -5 * Hz, 5 * ms, 100.0, float("nan"), None]),
          weight=WEIGHTS)
    def set_input(self, kind, rate, weight):
        self.attempt(lambda: self.experiment.set_input(kind, rate, weight=weight))

    @rule(biases=BIASES, core=st.sampled_from([None, "Core_1", 1, "Core_2", 9]))
    def experiment_bias(self, biases, core):
        self.attempt(lambda: self.experiment.set_bias(biases, core))

    @rule(duration=DURATIONS)
    def experiment_run(self, duration):
        self.attempt(lambda: self.experiment.run(duration))

    @rule(door=st.sampled_from(["chip", "model", "experiment", "other"]), data=st.data())
    def board_biases(self, door, data):
        def through_board():
            front = {"chip": self.chip, "model": self.model, "experiment": self.experiment,
                    "other": self.network}[door]
            board, fixed = board_of(front)
            chip, core = fixed or (data.draw(CHIPS), data.draw(CORES))
            board.set_biases(chip, core, data.draw(BIASES))

        self.attempt(through_board)

    # ------------------------------------------------------------------ still runs
    def teardown(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.network.run(0.3 * ms)
            self.model.run(0.3 * ms)
            self.experiment.run(0.5 * ms)
        self.chip.get_configuration()


DynapseMachine.TestCase.settings = settings(
    max_examples=10, stateful_step_count=20, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestDynapseMachine = DynapseMachine.TestCase
