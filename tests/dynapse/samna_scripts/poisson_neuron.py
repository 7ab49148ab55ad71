"""A tutorial-shaped samna script: one neuron driven by the Poisson generator."""
# ruff: noqa: I001 - the import lines are the tutorial's, in its order
import time

import samna
import samna.dynapse1 as dyn1
import dynapse1utils as ut
from netgen import NetworkGenerator, Neuron

DURATION = 0.1

model, gui_process = ut.open_dynapse1(gui=False)
api = model.get_dynapse1_api()
api.monitor_neuron(0, 256 + 20)

net_gen = NetworkGenerator()
spikegen = Neuron(0, 0, 5, True)
neuron = Neuron(0, 1, 20)
for _ in range(4):
    net_gen.add_connection(spikegen, neuron, dyn1.Dynapse1SynType.AMPA)
net_gen.print_network()
config = net_gen.make_dynapse1_configuration_in_chip(0)
model.apply_configuration_by_chip(config, 0)

param_group = ut.gen_param_group_1core()
for core in range(4):
    model.update_parameter_group(param_group, 0, core)
model.update_single_parameter(dyn1.Dynapse1Parameter("PS_WEIGHT_EXC_F_N", 7, 255), 0, 1)
model.update_single_parameter(dyn1.Dynapse1Parameter("NPDPIE_THR_F_P", 7, 255), 0, 1)

graph, filter_node, sink_node = ut.create_neuron_select_graph(model, [(0, 1, 20)])
graph.start()

poisson_gen = model.get_poisson_gen()
poisson_gen.set_chip_id(0)
poisson_gen.write_poisson_rate_hz(5, 100)

sink_node.get_events()
time.sleep(DURATION)
events_before = sink_node.get_events()

poisson_gen.start()
time.sleep(DURATION)
events_driven = sink_node.get_events()
poisson_gen.stop()

graph.stop()
rates = poisson_gen.get_poisson_rates_hz([5, 6])
samna_module = samna.__name__
ut.close_dynapse1(model, gui_process)
