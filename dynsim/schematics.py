"""Schematics of the DPI synapse and the DPI neuron, drawn with schemdraw.

The course shows the circuits it emulates as pictures drawn by the project, at the level of
detail of the papers' figures (Bartolozzi & Indiveri 2007, Chicca et al. 2014, Moradi et al.
2018): every transistor that a bias of the chip drives is drawn, and its label is the bias's
physical and samna names read from :data:`dynsim.dynapse.biases.BIAS_TABLE`, so the picture
names the same knobs as the bench's sliders.

Each circuit is first described as data (:data:`SYNAPSE_DEVICES`, :data:`NEURON_DEVICES`:
the devices, their kind and the bias that drives them), then drawn from that description;
the tests count the drawn transistors and capacitors against it.

The DPI (differential pair integrator): an input event closes the switch ``M_pre`` for a
short pulse and the weight transistor ``M_w`` lets the current ``Iw`` flow into the
differential pair ``M_thr``/``M_in``; the share that reaches the capacitor ``C`` against the
leak ``M_tau`` (current ``Itau``) moves the capacitor's voltage, and the output transistor,
whose gate is that voltage, gives the exponential of it: the current ``I``. The circuit
obeys ``tau (1 + Ith/I) dI/dt + I = (Ith/Itau) Iin - Ith`` with ``tau = C U_T/(kappa Itau)``
(:mod:`dynsim.dynapse.physics`). The neuron is a DPI for the membrane (input: the synaptic
currents and the DC bias ``Idc``) with a positive-feedback transistor, a spike inverter, a
reset transistor held on for the refractory period by ``Iref``, and a second DPI for the
after-hyperpolarising (adaptation) current ``Iahp`` that is pulsed by each spike and
subtracted from the membrane's input.

References
----------
Bartolozzi C., Indiveri G. (2007). Synaptic dynamics in analog VLSI. Neural Computation
19(10), 2581-2603.

Chicca E., Stefanini F., Bartolozzi C., Indiveri G. (2014). Neuromorphic electronic circuits
for building autonomous cognitive systems. Proc. IEEE 102(9), 1367-1388.

Moradi S., Qiao N., Stefanini F., Indiveri G. (2018). A scalable multicore architecture with
heterogeneous memory structures for Dynamic Neuromorphic Asynchronous Processors (DYNAPs).
IEEE TBioCAS 12(1), 106-122.

Examples
--------
>>> from dynsim.schematics import dpi_synapse
>>> svg = dpi_synapse("NMDA").get_imagedata("svg")
>>> b"NPDPIE_TAU_S_P" in svg
True
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import schemdraw
import schemdraw.elements as elm
from schemdraw.segments import SegmentText

from dynsim.dynapse.biases import BIAS_GROUPS, BIAS_TABLE, BiasSpec
from dynsim.dynapse.physics import CIRCUITS
from dynsim.errors import UnknownSynapseTypeError

__all__ = [
    "DEVICE_KINDS",
    "NEURON_DEVICES",
    "NODE_LABELS",
    "SYNAPSE_DEVICES",
    "Device",
    "bias_of",
    "device_counts",
    "dpi_neuron",
    "dpi_synapse",
    "drawn_counts",
    "drawn_labels",
]

#: schemdraw element class of each device kind (the tests count them in a drawing)
DEVICE_KINDS: dict[str, type] = {"nfet": elm.NFet, "pfet": elm.PFet,
                                 "capacitor": elm.Capacitor}

#: The labels of nodes and signals that are not biases (the rest: the bias table's names, the
#: state variables of :data:`dynsim.dynapse.physics.STATE_VARIABLES`, ``C_<circuit>``, and
#: ``Iin``, the membrane's input in :data:`dynsim.dynapse.physics.NEURON_EQUATIONS`).
NODE_LABELS: tuple[str, ...] = ("Vdd", "pre spike", "spike", "spike (REQ)", "V_refr")


@dataclass(frozen=True)
class Device:
    """One device of a circuit description.

    Attributes
    ----------
    name : str
        Its name in the figure's caption (``'M_w'``).
    kind : str
        ``'nfet'``, ``'pfet'`` or ``'capacitor'`` (a key of :data:`DEVICE_KINDS`).
    role : str
        What it does, in a few words.
    bias : str
        The kind of bias that drives its gate (``'tau'``, ``'gain'``, ``'weight'``, ``'dc'``,
        ``'refractory'``: a :attr:`~dynsim.dynapse.biases.BiasSpec.kind`), '' for none.
    circuit : str
        The DPI it belongs to (``'syn'`` for the synapse drawn, or ``'mem'``, ``'ahp'``).
    """

    name: str
    kind: str
    role: str
    bias: str = ""
    circuit: str = "syn"


def _dpi_devices(circuit: str, what: str) -> tuple[Device, ...]:
    return (
        Device("M_pre", "pfet", f"switch closed by the pulse of an {what}", "", circuit),
        Device("M_w", "pfet", "weight: sets the input current Iw", "weight", circuit),
        Device("M_thr", "pfet", "one side of the differential pair: sets the gain Ith",
               "gain", circuit),
        Device("M_in", "pfet", "other side of the pair: feeds the capacitor", "", circuit),
        Device("C", "capacitor", "integrates the current (its voltage is the state)", "",
               circuit),
        Device("M_tau", "nfet", "leak: discharges C with Itau (sets tau)", "tau", circuit),
        Device("M_out", "nfet", "output: the current, exponential in the voltage of C", "",
               circuit),
    )


#: The DPI synapse (Bartolozzi & Indiveri 2007, Fig. 6; Chicca et al. 2014, Fig. 4).
SYNAPSE_DEVICES: tuple[Device, ...] = _dpi_devices("syn", "input event")

#: The DPI neuron (Chicca et al. 2014, Fig. 8; Moradi et al. 2018): membrane DPI with a DC
#: input, positive feedback, spike inverter, reset and refractory period, adaptation DPI.
NEURON_DEVICES: tuple[Device, ...] = (
    Device("M_dc", "pfet", "constant input current Idc into the membrane DPI", "dc", "mem"),
    Device("M_thr", "pfet", "membrane DPI gain Ith", "gain", "mem"),
    Device("M_in", "pfet", "other side of the pair: feeds C_mem", "", "mem"),
    Device("C", "capacitor", "membrane capacitor C_mem", "", "mem"),
    Device("M_tau", "nfet", "membrane leak Itau (sets tau_mem)", "tau", "mem"),
    Device("M_pfb", "pfet", "positive feedback: charges C_mem faster near threshold", "",
           "mem"),
    Device("M_inv_p", "pfet", "spike inverter (p side)", "", "mem"),
    Device("M_inv_n", "nfet", "spike inverter (n side): its output is the spike", "", "mem"),
    Device("M_reset", "nfet", "reset: discharges C_mem while the refractory node is high",
           "", "mem"),
    Device("M_ref", "nfet", "refractory period: discharges the reset node with Iref",
           "refractory", "mem"),
    *(d for d in _dpi_devices("ahp", "output spike") if d.name != "M_out"),
    Device("M_out", "nfet", "adaptation output: subtracts Iahp from the membrane input", "",
           "ahp"),
)


def bias_of(circuit: str, kind: str) -> BiasSpec:
    """Return the bias of the table that drives ``kind`` in ``circuit``.

    Parameters
    ----------
    circuit : str
        A DPI circuit of :data:`dynsim.dynapse.physics.CIRCUITS` (``'ampa'``, ``'mem'`` ...).
    kind : str
        A bias kind (``'tau'``, ``'gain'``, ``'weight'``, ``'dc'``, ``'refractory'``).

    Raises
    ------
    KeyError
        When the table has no such bias (a wrong circuit description, not a user's error).

    Examples
    --------
    >>> bias_of("ampa", "tau").samna_name
    'NPDPIE_TAU_F_P'
    """
    for spec in BIAS_TABLE:
        if spec.circuit == circuit and spec.kind == kind:
            return spec
    raise KeyError(f"no bias of kind {kind!r} in circuit {circuit!r}")


def _label(circuit: str, kind: str) -> str:
    spec = bias_of(circuit, kind)
    return f"{spec.physical_name}\n{spec.samna_name}"


def device_counts(devices: tuple[Device, ...]) -> Counter:
    """Return how many devices of each kind a circuit description has.

    Examples
    --------
    >>> device_counts(SYNAPSE_DEVICES)["capacitor"]
    1
    """
    return Counter(device.kind for device in devices)


def drawn_counts(drawing: schemdraw.Drawing) -> Counter:
    """Return how many elements of each device kind a drawing holds."""
    counts: Counter = Counter()
    for element in drawing.elements:
        for kind, cls in DEVICE_KINDS.items():
            if type(element) is cls:
                counts[kind] += 1
    return counts


def drawn_labels(drawing: schemdraw.Drawing) -> list[str]:
    """Return the text of every label in a drawing (a bias: physical name, newline, samna)."""
    return [segment.text for element in drawing.elements for segment in element.segments
            if isinstance(segment, SegmentText)]


def _draw_dpi(d: schemdraw.Drawing, x: float, circuit: str, devices: tuple[Device, ...],
              input_label: str, output_label: str, top: float = 6.0) -> dict[str, object]:
    """Draw one DPI from ``devices`` at ``x``; return the points other parts connect to."""
    by_name = {device.name: device for device in devices if device.circuit == circuit}
    label = {name: (_label(circuit, dev.bias) if dev.bias else "") for name, dev in
             by_name.items()}
    d.add(elm.Line().at((x - 1, top)).to((x + 12, top)))
    d.add(elm.Vdd().at((x - 1, top)).label("Vdd"))
    points: dict[str, object] = {}
    if "M_w" in by_name:  # input branch: weight transistor and the event's switch, in series
        d.add(elm.PFet().theta(0).reverse().anchor("source").at((x + 2, top)).label(label["M_w"],
                                                                           loc="gate"))
        d.add(elm.PFet().theta(0).reverse().anchor("source").at((x + 2, top - 1.5))
              .label(input_label, loc="gate"))
    else:  # the membrane: the DC bias transistor, beside the input current of the synapses
        d.add(elm.PFet().theta(0).reverse().anchor("source").at((x + 2, top)).label(label["M_dc"],
                                                                           loc="gate"))
        d.add(elm.Line().at((x + 2, top - 1.5)).to((x + 2, top - 3)))
        d.add(elm.SourceI().at((x + 3.2, top)).down().length(3).label(input_label, loc="bot"))
        d.add(elm.Line().at((x + 3.2, top - 3)).to((x + 2, top - 3)))
    tail = top - 3
    d.add(elm.Dot().at((x + 2, tail)))
    d.add(elm.Line().at((x, tail)).to((x + 4, tail)))
    thr = d.add(elm.PFet().theta(0).reverse().anchor("source").at((x, tail)).label(label["M_thr"],
                                                                         loc="gate"))
    d.add(elm.Ground().theta(0).at(thr.drain))
    pair = d.add(elm.PFet().theta(0).anchor("source").at((x + 4, tail)))
    state = pair.drain
    d.add(elm.Line().at(state).to((x + 11.6, state[1])))
    d.add(elm.Line().at(pair.gate).to((pair.gate[0], state[1])))
    d.add(elm.Dot().at((pair.gate[0], state[1])))
    d.add(elm.Capacitor().at((x + 6, state[1])).down().label(f"C_{circuit}", loc="bottom"))
    d.add(elm.Ground().theta(0))
    d.add(elm.Dot().at((x + 6, state[1])))
    leak = d.add(elm.NFet().theta(0).anchor("drain").at((x + 8, state[1])).label(label["M_tau"],
                                                                        loc="gate"))
    d.add(elm.Ground().theta(0).at(leak.source))
    d.add(elm.Dot().at((x + 8, state[1])))
    if "M_out" in by_name:
        out = d.add(elm.NFet().theta(0).reverse().anchor("gate").at((x + 11.6, state[1])))
        d.add(elm.Ground().theta(0).at(out.source))
        d.add(elm.Line().at(out.drain).up().length(1))
        d.add(elm.Arrow().up().length(0.8).label(output_label, loc="end"))
        points["out"] = out
    points["state"] = (x + 11.6, state[1])
    return points


def dpi_synapse(synapse_type: str = "AMPA") -> schemdraw.Drawing:
    """Draw the DPI synapse of one synapse type with the names of its three biases.

    Parameters
    ----------
    synapse_type : str
        ``'AMPA'``, ``'NMDA'``, ``'GABA_A'`` or ``'GABA_B'`` (its biases label the weight,
        gain and leak transistors).

    Returns
    -------
    schemdraw.Drawing
        The schematic (an SVG in a notebook; ``get_imagedata('svg')`` for the bytes).
        Devices: :data:`SYNAPSE_DEVICES`.

    Raises
    ------
    dynsim.errors.UnknownSynapseTypeError
        For another name, listing the four.

    References
    ----------
    Bartolozzi C., Indiveri G. (2007). Synaptic dynamics in analog VLSI. Neural Computation
    19(10), 2581-2603.

    Examples
    --------
    >>> drawing = dpi_synapse("AMPA")
    >>> drawn_counts(drawing) == device_counts(SYNAPSE_DEVICES)
    True
    """
    types = [group for group in BIAS_GROUPS if group.lower() in CIRCUITS]
    if synapse_type not in types:
        raise UnknownSynapseTypeError(f"unknown synapse type {synapse_type!r}; choose one of "
                                      f"{', '.join(types)}")
    circuit = synapse_type.lower()
    devices = tuple(Device(dev.name, dev.kind, dev.role, dev.bias, circuit)
                    for dev in SYNAPSE_DEVICES)
    d = schemdraw.Drawing(canvas="svg", show=False)
    d.config(fontsize=11)
    _draw_dpi(d, 0.0, circuit, devices, "pre spike", f"I_{circuit}")
    return d


def dpi_neuron() -> schemdraw.Drawing:
    """Draw the DPI neuron: membrane DPI, positive feedback, spike, reset, refractory, AHP.

    Returns
    -------
    schemdraw.Drawing
        The schematic with the names of the neuron's and the adaptation's biases.
        Devices: :data:`NEURON_DEVICES`.

    References
    ----------
    Chicca E., Stefanini F., Bartolozzi C., Indiveri G. (2014). Neuromorphic electronic
    circuits for building autonomous cognitive systems. Proc. IEEE 102(9), 1367-1388 (Fig. 8).

    Moradi S., Qiao N., Stefanini F., Indiveri G. (2018). A scalable multicore architecture
    with heterogeneous memory structures for DYNAPs. IEEE TBioCAS 12(1), 106-122.

    Examples
    --------
    >>> drawn_counts(dpi_neuron()) == device_counts(NEURON_DEVICES)
    True
    """
    d = schemdraw.Drawing(canvas="svg", show=False)
    d.config(fontsize=11)
    mem = _draw_dpi(d, 0.0, "mem", NEURON_DEVICES, "Iin", "")
    x_state, y_state = mem["state"]
    top = 6.0
    x_inv, x_ref = x_state + 4, x_state + 9
    d.add(elm.Line().at((x_state, top)).to((x_ref + 2, top)))  # Vdd of the spike circuits
    # positive feedback: a p-FET from Vdd onto the membrane node, driven by the inverter
    pfb = d.add(elm.PFet().theta(0).anchor("source").at((x_state, top)))
    d.add(elm.Line().at(pfb.drain).to((x_state, y_state)))
    d.add(elm.Dot().at((x_state, y_state)))
    # spike inverter: input the membrane node, output the spike
    d.add(elm.Line().at((x_state, y_state)).to((x_inv - 1.37, y_state)))
    inv_p = d.add(elm.PFet().theta(0).reverse().anchor("source").at((x_inv, top)))
    inv_n = d.add(elm.NFet().theta(0).reverse().anchor("drain").at(inv_p.drain))
    d.add(elm.Ground().theta(0).at(inv_n.source))
    d.add(elm.Line().at(inv_p.gate).to(inv_n.gate))
    d.add(elm.Line().at((x_inv - 1.37, y_state)).to((x_inv - 1.37, inv_n.gate[1])))
    # the feedback transistor's gate is the inverter's output: it turns on as Vmem rises
    d.add(elm.Line().at(pfb.gate).to((pfb.gate[0], y_state + 0.7)))
    d.add(elm.Line().to((x_inv + 0.8, y_state + 0.7)))
    d.add(elm.Line().to((x_inv + 0.8, inv_p.drain[1])))
    d.add(elm.Line().to(inv_p.drain))
    spike = inv_p.drain
    d.add(elm.Dot().at(spike))
    d.add(elm.Line().at(spike).right().length(2))
    d.add(elm.Arrow().right().length(1).label("spike (REQ)", loc="right"))
    # reset and refractory period: the spike charges the refractory node, Iref discharges it
    d.add(elm.Line().at((x_inv + 2, spike[1])).to((x_ref, spike[1])))
    ref = d.add(elm.NFet().theta(0).anchor("drain").at((x_ref, spike[1])).label(
        _label("mem", "refractory"), loc="gate"))
    d.add(elm.Ground().theta(0).at(ref.source))
    reset = d.add(elm.NFet().theta(0).reverse().anchor("drain").at((x_state + 1.5, y_state - 0.6)))
    d.add(elm.Line().at((x_state + 1.5, y_state - 0.6)).to((x_state + 1.5, y_state)))
    d.add(elm.Dot().at((x_state + 1.5, y_state)))
    d.add(elm.Ground().theta(0).at(reset.source))
    d.add(elm.Line().at(reset.gate).to((reset.gate[0], reset.gate[1] - 1.2)))
    d.add(elm.Line().to((x_ref, reset.gate[1] - 1.2)))
    d.add(elm.Line().to((x_ref, spike[1])))
    d.add(elm.Label().at((x_ref + 0.2, reset.gate[1] - 1.4)).label("V_refr", loc="right"))
    # adaptation: a second DPI, pulsed by the spike; its output sinks Iahp from the membrane
    ahp = _draw_dpi(d, x_ref + 6, "ahp", NEURON_DEVICES, "spike", "Iahp",
                    top=top)
    d.add(elm.Label().at((x_state - 0.6, y_state + 0.4)).label("Imem", loc="center"))
    del ahp
    return d
