"""A tutorial-shaped samna script: FPGA spike generator drives a chain across two chips."""
# ruff: noqa: I001 - the import lines are the tutorial's, in its order
import time

import samna
import samna.dynapse1 as dyn1
import dynapse1utils as ut
from netgen import NetworkGenerator, Neuron

DURATION = 0.15

model, gui_process = ut.open_dynapse1(gui=False)

net_gen = NetworkGenerator()
spikegen = Neuron(0, 0, 7, True)
first = Neuron(0, 2, 30)
second_neuron = Neuron(2, 1, 40)
net_gen.add_connections_from_list([spikegen], [first], dyn1.Dynapse1SynType.AMPA,
                                  [0, 0, 0, 0], [0, 0, 0, 0])
for _ in range(4):
    net_gen.add_connection(first, second_neuron, dyn1.Dynapse1SynType.AMPA)
config = net_gen.make_dynapse1_configuration()
model.apply_configuration(config)

param_group = ut.gen_param_group_1core()
for chip, core in [(0, 2), (2, 1)]:
    model.update_parameter_group(param_group, chip, core)
    model.update_single_parameter(dyn1.Dynapse1Parameter("PS_WEIGHT_EXC_F_N", 7, 255), chip,
                                  core)
    model.update_single_parameter(dyn1.Dynapse1Parameter("NPDPIE_THR_F_P", 7, 255), chip, core)

graph, filter_node, sink_node = ut.create_neuron_select_graph(model, [(0, 2, 30), (2, 1, 40)])
graph.start()

fpga_events = []
for _ in range(10):
    event = dyn1.FpgaSpikeEvent()
    event.core_mask = 15
    event.target_chip = 0
    event.neuron_id = 7
    event.isi = 1000
    fpga_events.append(event)
fpga_spike_gen = model.get_fpga_spike_gen()
fpga_spike_gen.set_variable_isi_mode(True)
fpga_spike_gen.preload_stimulus(fpga_events)
fpga_spike_gen.set_isi_multiplier(900)
fpga_spike_gen.set_repeat_mode(False)

sink_node.get_events()
fpga_spike_gen.start()
time.sleep(DURATION)
events = sink_node.get_events()
fpga_spike_gen.stop()

graph.stop()
samna_module = samna.__name__
ut.close_dynapse1(model, gui_process)
