"""The refractory period as a step count (``physics.NEURON_REFRACTORY``) is Brian2's own rule.

Brian2's ``refractory="t_refr"`` keeps a neuron refractory at step ``n`` after a spike at step
``m`` while ``timestep(t - lastspike, dt) < timestep(t_refr, dt)``: two float divisions and
two conversions to integers per neuron and step. dynsim's neurons store the end of the period
at each spike (``refractory_end``, from ``refractory_steps = timestep(t_refr, dt)``, computed
with the other parameters) and compare it with the clock. The tests check that the step count
is Brian2's ``timestep`` for every duration and step, and that neurons built with both rules
give the same spikes and the same membrane traces, bit for bit (numpy engine: the same
floating-point operations).
"""

from __future__ import annotations

import numpy as np
from brian2 import Network, NeuronGroup, SpikeMonitor, StateMonitor, amp, ms, second
from brian2.core.functions import timestep
from hypothesis import given, settings
from hypothesis import strategies as st

from dynsim.dynapse import Dynapse1ParameterGroup, physics
from dynsim.dynapse.circuits import FlooredEuler, bias_currents, make_neurons, set_parameters
from dynsim.engine import codeobj_class

#: Brian2's numpy code objects: the same floating-point operations for both rules.
NUMPY = codeobj_class("numpy")

#: Time steps (s) of the simulated comparisons: the default, finer, coarser and one that no
#: refractory period below is a whole multiple of.
STEPS = (1e-4, 2.5e-5, 2e-4, 7.3e-5)

dts = st.floats(1e-6, 1e-3)
#: Brian2 names of the simulated comparisons, one per example.
_names = iter(range(10**6))


@given(dts, st.floats(0, 0.2))
def test_whole_steps_is_brian2s_timestep(dt, duration):
    assert physics.whole_steps(duration, dt) == int(timestep(duration, dt))


@given(dts, st.integers(0, 2000), st.sampled_from([-2e-3, -1.001e-3, -0.999e-3, 0.0, 1e-9]))
def test_whole_steps_at_the_edges_of_a_step(dt, steps, fraction):
    # a duration close to a whole number of steps: Brian2 counts one within 1e-3 dt below it
    duration = max(0.0, (steps + fraction) * dt)
    assert physics.whole_steps(duration, dt) == int(timestep(duration, dt))


def test_state_parameters_give_the_step_count_of_the_refractory_period():
    currents = bias_currents([Dynapse1ParameterGroup()] * 3)
    currents["Iref"] = np.array([5e-12, 2.5e-12, 1e-13])  # 5 ms, 10 ms, floored at I0: 25 ms
    values = physics.state_parameters(currents, 0.1 * ms)
    np.testing.assert_allclose(values["t_refr"], [5e-3, 10e-3, 25e-3], rtol=1e-12)
    assert values["refractory_steps"].tolist() == [50, 100, 250]
    assert values["refractory_steps"].tolist() == [
        int(timestep(t, 1e-4)) for t in values["t_refr"]]


def brian2_rule_equations() -> str:
    """dynsim's equations with Brian2's refractoriness: the membrane ``(unless refractory)``."""
    lines = physics.NEURON_EQUATIONS.splitlines()
    gate = [k for k, line in enumerate(lines) if line.startswith("integrating = ")]
    end = next(k for k, line in enumerate(lines) if line.endswith(") : amp"))
    assert len(gate) == 1 and lines[end - 3].startswith("dImem/dt = integrating*(")
    lines[gate[0]] = "integrating = 1 : 1"
    lines[end] += " (unless refractory)"
    return "\n".join(lines)


def brian2_rule_group(n: int, dt: float, name: str) -> NeuronGroup:
    """The same neurons with Brian2's own refractoriness (``refractory="t_refr"``)."""
    group = NeuronGroup(n, brian2_rule_equations(), threshold="Imem > Ispk",
                        reset=physics.NEURON_RESET, refractory="t_refr", method=FlooredEuler(),
                        namespace=dict(physics.NEURON_NAMESPACE), dt=dt * second,
                        name=name, codeobj_class=NUMPY)
    for variable in physics.STATE_VARIABLES:
        setattr(group, variable, physics.I0)
    return group


@settings(max_examples=5)
@given(st.sampled_from(STEPS), st.lists(st.floats(0.05, 60.0), min_size=4, max_size=4))
def test_step_count_rule_gives_brian2s_spikes_and_traces(dt, periods_in_steps):
    # periods from a twentieth of a step to 60 steps, some whole multiples of dt
    periods = np.array(periods_in_steps) * dt
    periods[:2] = np.maximum(np.round(periods[:2] / dt), 1) * dt
    n = len(periods)
    currents = bias_currents([Dynapse1ParameterGroup()] * n)
    currents["Iref"] = float(physics.REFRACTORY_CHARGE / second / amp) / periods
    currents["Idc"] = np.full(n, 3e-9)  # far above the rheobase: the refractory period rules
    monitors = []
    suffix = next(_names)
    for group in (make_neurons(n, f"refractory_steps_rule{suffix}", dt=dt * second,
                               engine="numpy"),
                  brian2_rule_group(n, dt, f"refractory_brian2_rule{suffix}")):
        set_parameters(group, currents)
        spikes = SpikeMonitor(group, name=f"{group.name}_spikes", codeobj_class=NUMPY)
        trace = StateMonitor(group, "Imem", record=True, name=f"{group.name}_trace",
                             codeobj_class=NUMPY)
        Network(group, spikes, trace).run(round(0.025 / dt) * dt * second)
        monitors.append((spikes, trace))
    (spikes, trace), (reference, reference_trace) = monitors
    assert len(reference.i) > 4 * n  # every neuron fired again and again
    assert spikes.i[:].tolist() == reference.i[:].tolist()
    assert spikes.t_[:].tolist() == reference.t_[:].tolist()
    assert np.array_equal(trace.Imem_[:], reference_trace.Imem_[:])


def test_a_students_own_t_does_not_meet_the_equations():
    """The step is the clock's ``t_in_timesteps``: a notebook's own ``t`` stays out of the model.

    Exercise 3 keeps spike times in a variable ``t`` and runs the chip's network from the
    notebook: equations that read ``timestep(t, dt)`` made Brian2 warn about the conflict
    (nbval saw the warning on stderr).
    """
    from brian2.utils.logger import catch_logs

    t = np.array([0.0168, 0.0299])  # noqa: F841  (the notebook's own t, in the run namespace)
    group = make_neurons(2, f"own_t_neurons{next(_names)}", engine="numpy")
    currents = bias_currents([Dynapse1ParameterGroup()] * 2)
    currents["Idc"] = np.full(2, 3e-9)
    set_parameters(group, currents)
    spikes = SpikeMonitor(group, name=f"{group.name}_spikes", codeobj_class=NUMPY)
    network = Network(group, spikes)
    with catch_logs() as logs:
        network.run(10 * ms)  # resolves names in this frame, as a notebook's run does
    assert [log for log in logs if "resolution_conflict" in log[1]] == []
    assert len(spikes.i) > 0
