"""dynsim's NetworkGenerator against INI's netgen: routing bits, printout, helpers, errors.

The reference is INI's tutorial helper ``netgen.py`` with ``details/netgen_details.py`` as
copied in github.com/blakeyy/neuromorphic_dreaming (``dynapse/netgen.py``,
``details/netgen_details.py``); the formulas below are written again from that source.
"""

from __future__ import annotations

import itertools
import random
import warnings

import numpy as np
import pytest

from dynsim.dynapse import (
    Dynapse1SynType,
    NetworkGenerator,
    Neuron,
    NeuronGroup,
    Synapses,
    WTA_connections,
    add_synapses,
    add_wta_conns,
    remove_synapses,
)
from dynsim.dynapse.netgen import route_fields
from dynsim.errors import (
    DynapseChipDirectionWarning,
    InvalidConnectionError,
    InvalidCoreError,
    InvalidNeuronError,
)

AMPA = Dynapse1SynType.AMPA


def netgen_routing(pre_chip: int, post_chip: int) -> tuple[bool, bool, int, int]:
    """``check_and_write_pre_sram`` of INI's details/netgen_details.py, written again."""
    d = (post_chip & 1) - (pre_chip & 1)
    sx, dx = d < 0, abs(d)
    d = ((post_chip & 2) >> 1) - ((pre_chip & 2) >> 1)
    sy, dy = not d < 0, abs(d)
    return sx, sy, dx, dy


@pytest.mark.parametrize(("pre_chip", "post_chip"), list(itertools.product(range(4), repeat=2)))
def test_sram_routing_bits_are_netgens(pre_chip, post_chip):
    net = NetworkGenerator()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DynapseChipDirectionWarning)
        net.add_connection(Neuron(pre_chip, 1, 7), Neuron(post_chip, 2, 9), AMPA)
    destination = net.make_dynapse1_configuration().chips[pre_chip].cores[1].neurons[7] \
        .destinations[0]
    sx, sy, dx, dy = netgen_routing(pre_chip, post_chip)
    assert (destination.sx, destination.sy, destination.dx, destination.dy) == (sx, sy, dx, dy)
    assert route_fields(pre_chip, post_chip) == {"sx": sx, "sy": sy, "dx": dx, "dy": dy}


@pytest.mark.parametrize(("pre_chip", "post_chip"), list(itertools.product(range(4), repeat=2)))
def test_left_to_right_chip_warning(pre_chip, post_chip):
    """netgen warns for a physical pre on chip 0 or 2 and a post on chip 1 or 3."""
    net = NetworkGenerator()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net.add_connection(Neuron(pre_chip, 1, 7), Neuron(post_chip, 2, 9), AMPA)
        net.add_connection(Neuron(pre_chip, 1, 8, is_spike_gen=True), Neuron(post_chip, 2, 9),
                           AMPA)
    direction = [w for w in caught if issubclass(w.category, DynapseChipDirectionWarning)]
    expected = pre_chip in (0, 2) and post_chip in (1, 3)
    assert len(direction) == int(expected)  # never for the spike generator
    if expected:
        assert "you are building connections from left chips [0,2] to right chips [1,3]!" in \
            str(direction[0].message)


def test_print_network(capsys):
    net = NetworkGenerator()
    net.print_network()
    assert capsys.readouterr().out == "The network is empty!\n"
    gen, a, b = Neuron(0, 0, 1, is_spike_gen=True), Neuron(0, 1, 2), Neuron(0, 0, 3)
    net.add_connection(gen, a, AMPA)
    net.add_connection(b, a, "GABA_B")
    net.add_connection(gen, a, AMPA)
    net.add_connection(a, b, "NMDA")
    net.print_network()
    printed = capsys.readouterr().out
    assert printed == f"{net.network}\n"  # print(net_gen.network), netgen's newer way
    assert printed == (
        "Post neuron (ChipId,coreId,neuronId): incoming connections "
        "[(preNeuron,synapseType), ...]\n"
        "C0c0n3: [('C0c1n2', 'NMDA')]\n"
        "C0c1n2: [('C0c0s1', 'AMPA'), ('C0c0s1', 'AMPA'), ('C0c0n3', 'GABA_B')]\n")


def test_configuration_in_chip_and_core():
    net = NetworkGenerator()
    net.add_connection(Neuron(1, 0, 1, is_spike_gen=True), Neuron(2, 3, 4), AMPA)
    net.add_connection(Neuron(2, 3, 5), Neuron(2, 3, 4), AMPA)
    assert net.make_dynapse1_configuration_in_core(2, 3) == net.make_dynapse1_configuration()
    assert net.make_dynapse1_configuration_in_chip(2) == \
        net.make_dynapse1_configuration(validation=False)
    with pytest.raises(InvalidConnectionError):
        net.make_dynapse1_configuration(validation="no")
    with pytest.raises(InvalidConnectionError, match="outside chip 1"):
        net.make_dynapse1_configuration_in_chip(1)
    net.add_connection(Neuron(2, 2, 5), Neuron(2, 3, 4), AMPA)
    with pytest.raises(InvalidConnectionError, match="neuron \\(chip 2, core 2, neuron 5\\) "
                                                     "outside chip 2, core 3"):
        net.make_dynapse1_configuration_in_core(2, 3)
    with pytest.raises(InvalidCoreError):
        net.make_dynapse1_configuration_in_chip(4)


def test_connections_from_list_and_removal_all_or_none():
    net = NetworkGenerator()
    pres = [Neuron(0, 0, n, is_spike_gen=True) for n in (1, 2, 3)]
    posts = [Neuron(0, 1, n) for n in (10, 11)]
    net.add_connections_from_list(pres, posts, AMPA, [0, 1, 2, 2], [0, 0, 1, 1])
    assert [(a.neuron_id, b.neuron_id) for a, b, _ in net.connections] == \
        [(1, 10), (2, 10), (3, 11), (3, 11)]
    before = net.connections
    for args in (([0, 1], [0]), ([3], [0]), ([0], [2]), ("01", [0, 1]), ([0.5], [0])):
        with pytest.raises(InvalidConnectionError):
            net.add_connections_from_list(pres, posts, AMPA, *args)
        assert net.connections == before
    with pytest.raises(InvalidConnectionError, match="no AMPA connection"):
        net.remove_connections_from_list(pres, posts, AMPA, [2, 0], [1, 1])
    assert net.connections == before  # the first removal was undone
    net.remove_connections_from_list(pres, posts, AMPA, [2, 2], [1, 1])
    assert len(net.connections) == 2
    with pytest.raises(InvalidConnectionError, match=r"list of dynsim\.dynapse\.Neuron"):
        net.add_connections_from_list([1], posts, AMPA, [0], [0])


def test_connections_from_type_is_netgens_sample():
    pres = [Neuron(0, 0, n, is_spike_gen=True) for n in range(1, 6)]
    posts = [Neuron(0, 1, n) for n in range(4)]
    net = NetworkGenerator()
    net.add_connections_from_type(pres, posts, AMPA, "all2all", p=0.5, rand_seed=7)
    # netgen's gen_all2all_lists: random.seed(rand_seed); random.sample(all pairs, round(n p))
    random.seed(7)
    expected = random.sample([(a, b) for a in range(5) for b in range(4)], 10)
    random.seed(None)
    assert [(a.neuron_id - 1, b.neuron_id) for a, b, _ in net.connections] == expected
    one = NetworkGenerator()
    one.add_connections_from_type(pres[:4], posts, AMPA, "one2one")
    assert [(a.neuron_id - 1, b.neuron_id) for a, b, _ in one.connections] == \
        [(k, k) for k in range(4)]
    for conn_type, p in (("one2one", 1), ("ring", 1), ("all2all", 1.5), ("all2all", -0.1)):
        with pytest.raises(InvalidConnectionError):
            NetworkGenerator().add_connections_from_type(pres, posts, AMPA, conn_type, p)


def test_neuron_groups_synapses_and_wta():
    inputs = NeuronGroup(0, 0, [1, 2], is_spike_gen=True)
    exc, inh = NeuronGroup(0, 3, [10, 11]), NeuronGroup(0, 3, [50])
    assert exc.tuple_neuron_ids == [(0, 3, 10), (0, 3, 11)]
    assert [n.neuron_id for n in exc.neurons] == [10, 11]
    net = NetworkGenerator()
    syn = Synapses(inputs, exc, AMPA, conn_type="one2one", mux_conn=3)
    add_synapses(net, syn)
    assert len(net.connections) == 6  # 2 pairs x mux_conn 3
    matrix = Synapses(inputs, exc, "NMDA", weight_matrix=np.array([[0, 2], [1, 0]]))
    assert (matrix.pre_list, matrix.post_list) == ([0, 0, 1], [1, 1, 0])
    wta = WTA_connections(exc, inh, AMPA, "GABA_B", syn_type_ee="NMDA", ee_pres=[0],
                          ee_posts=[1], mux_conn_ie=2)
    add_wta_conns(net, wta)
    kinds = sorted(k.name for _, _, k in net.connections)
    assert kinds == ["AMPA"] * 8 + ["GABA_B"] * 4 + ["NMDA"]
    remove_synapses(net, syn)
    assert len(net.connections) == 7


def test_group_and_synapses_errors_leave_nothing_changed():
    exc = NeuronGroup(0, 3, [10, 11])
    for ids in (None, [256], [-1], "ab"):
        with pytest.raises(InvalidNeuronError):
            NeuronGroup(0, 0, ids)
    with pytest.raises(InvalidCoreError):
        NeuronGroup(0, 4, [1])
    for kwargs in ({}, {"conn_type": "one2one", "pre_list": [0], "post_list": [0]},
                   {"conn_type": "one2one", "mux_conn": 0},
                   {"weight_matrix": np.ones((3, 2))}, {"weight_matrix": np.full((2, 2), 65)},
                   {"pre_list": [0, 1], "post_list": [0]}):
        with pytest.raises(InvalidConnectionError):
            Synapses(exc, exc, AMPA, **kwargs)
    with pytest.raises(InvalidConnectionError, match="NeuronGroup"):
        Synapses([1], exc, AMPA, conn_type="one2one")
    with pytest.raises(InvalidConnectionError, match="ee_pres and ee_posts"):
        WTA_connections(exc, NeuronGroup(0, 3, [50]), AMPA, "GABA_B", syn_type_ee="NMDA")
    net = NetworkGenerator()
    for call in (lambda: add_synapses(net, "syn"), lambda: add_wta_conns(net, "wta")):
        with pytest.raises(InvalidConnectionError):
            call()
    assert net.connections == []


def test_sign_bits_take_booleans_as_netgen_writes_them():
    """netgen_details.write_pre_destination assigns ``sx``/``sy`` the booleans it computed."""
    from dynsim.dynapse import Dynapse1Destination

    destination = Dynapse1Destination()
    destination.sx, destination.sy = True, False
    assert (destination.sx, destination.sy) == (1, 0)
    with pytest.raises(InvalidCoreError):
        destination.dx = True  # a hop count is not a boolean
