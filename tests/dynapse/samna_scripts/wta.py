"""A tutorial-shaped samna script: a winner-take-all from netgen's groups and synapses."""
# ruff: noqa: I001 - the import lines are the tutorial's, in its order
import time

import samna
import samna.dynapse1 as dyn1
import dynapse1utils as ut
from netgen import NetworkGenerator, NeuronGroup, Synapses, WTA_connections
from netgen import add_synapses, add_wta_conns

DURATION = 0.2
RATES = [300, 40, 40, 40]

model, gui_process = ut.open_dynapse1(gui=False)

inputs = NeuronGroup(0, 0, [1, 2, 3, 4], True)
excitatory = NeuronGroup(0, 3, [10, 11, 12, 13])
inhibitory = NeuronGroup(0, 3, [50, 51])
net_gen = NetworkGenerator()
add_synapses(net_gen, Synapses(inputs, excitatory, dyn1.Dynapse1SynType.AMPA,
                               conn_type="one2one", mux_conn=4))
add_wta_conns(net_gen, WTA_connections(excitatory, inhibitory, dyn1.Dynapse1SynType.AMPA,
                                       dyn1.Dynapse1SynType.GABA_B, mux_conn_ei=4,
                                       mux_conn_ie=8))
net_gen.print_network()
config = net_gen.make_dynapse1_configuration_in_core(0, 3)
model.apply_configuration_by_core(config, 0, 3)

param_group = ut.gen_param_group_1core()
model.update_parameter_group(param_group, 0, 3)
for name, coarse, fine in [("PS_WEIGHT_EXC_F_N", 7, 255), ("NPDPIE_THR_F_P", 7, 255),
                           ("PS_WEIGHT_INH_S_N", 7, 255), ("NPDPII_THR_S_P", 7, 255)]:
    model.update_single_parameter(dyn1.Dynapse1Parameter(name, coarse, fine), 0, 3)

graph, filter_node, sink_node = ut.create_neuron_select_graph(
    model, excitatory.tuple_neuron_ids + inhibitory.tuple_neuron_ids)
graph.start()

poisson_gen = model.get_poisson_gen()
poisson_gen.set_chip_id(0)
poisson_gen.write_poisson_rates_hz(inputs.neuron_ids, RATES)
poisson_gen.start()

sink_node.get_events()
time.sleep(DURATION)
events = sink_node.get_events()
poisson_gen.stop()

graph.stop()
counts = [len(t) for t in ut.get_selected_timestamps(events, excitatory.tuple_neuron_ids)]
samna_module = samna.__name__
ut.close_dynapse1(model, gui_process)
