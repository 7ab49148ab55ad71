"""The DPI schematics (issue 11): they draw without a display, name only the bias table's
biases, and hold the devices their circuit description lists."""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from support import failed_doc_examples

from dynsim import schematics
from dynsim.dynapse.biases import BIAS_GROUPS, BIAS_TABLE, bias_spec
from dynsim.dynapse.physics import CIRCUITS, NEURON_EQUATIONS, STATE_VARIABLES
from dynsim.errors import UnknownSynapseTypeError
from dynsim.schematics import (
    DEVICE_KINDS,
    NEURON_DEVICES,
    NODE_LABELS,
    SYNAPSE_DEVICES,
    bias_of,
    device_counts,
    dpi_neuron,
    dpi_synapse,
    drawn_counts,
    drawn_labels,
)

SYNAPSE_TYPES = [group for group in BIAS_GROUPS if group.lower() in CIRCUITS]
DRAWINGS = {**{f"synapse {kind}": (lambda kind=kind: dpi_synapse(kind))
               for kind in SYNAPSE_TYPES}, "neuron": dpi_neuron}
DESCRIPTIONS = {**{f"synapse {kind}": SYNAPSE_DEVICES for kind in SYNAPSE_TYPES},
                "neuron": NEURON_DEVICES}


def test_there_are_four_synapse_types():
    assert len(SYNAPSE_TYPES) == 4  # AMPA, NMDA, GABA_A, GABA_B: one DPI each


@pytest.mark.parametrize("which", list(DRAWINGS))
def test_each_schematic_draws_to_svg(which):
    svg = DRAWINGS[which]().get_imagedata("svg")
    root = ElementTree.fromstring(svg)  # well-formed XML
    assert root.tag.endswith("svg")
    assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 20


def test_the_schematics_need_no_display_and_no_jupyter(monkeypatch):
    # schemdraw's own SVG canvas: no matplotlib window, no display, no Jupyter import
    for variable in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND"):
        monkeypatch.delenv(variable, raising=False)
    assert dpi_neuron().get_imagedata("svg").startswith(b"<svg")
    tree = ast.parse(Path(schematics.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported = {name.split(".")[0] for name in imported}
    assert imported <= {"__future__", "collections", "dataclasses", "schemdraw", "dynsim"}


def test_the_docstring_examples_run():
    assert failed_doc_examples("dynsim.schematics") == 0


def _allowed_plain_labels() -> set[str]:
    words = {word for word in ("Iin",) if word in NEURON_EQUATIONS}
    return {*NODE_LABELS, *STATE_VARIABLES, *words, *(f"C_{c}" for c in CIRCUITS)}


@pytest.mark.parametrize("which", list(DRAWINGS))
def test_every_label_is_a_name_of_the_bias_table_or_of_the_physics(which):
    plain = _allowed_plain_labels()
    for label in drawn_labels(DRAWINGS[which]()):
        if "\n" in label:  # a bias: its physical name over its samna name, the same bias
            physical, samna = label.split("\n")
            assert bias_spec(samna).physical_name == physical, label
        else:
            assert label in plain, label


@pytest.mark.parametrize("which", list(DRAWINGS))
def test_every_biased_device_is_labelled_with_its_bias(which):
    labels = drawn_labels(DRAWINGS[which]())
    circuit = which.split()[-1].lower()
    for device in DESCRIPTIONS[which]:
        if device.bias:
            spec = bias_of(circuit if device.circuit == "syn" else device.circuit, device.bias)
            assert f"{spec.physical_name}\n{spec.samna_name}" in labels, device


def test_a_synapse_shows_the_three_biases_of_its_type():
    for kind in SYNAPSE_TYPES:
        names = {label.split("\n")[1] for label in drawn_labels(dpi_synapse(kind))
                 if "\n" in label}
        assert names == set(BIAS_GROUPS[kind])


def test_the_neuron_shows_every_modelled_bias_of_the_neuron_and_adaptation_groups():
    names = {label.split("\n")[1] for label in drawn_labels(dpi_neuron()) if "\n" in label}
    wanted = {s.samna_name for s in BIAS_TABLE if s.group in ("neuron", "adaptation")
              and s.modelled and s.kind != "nmda_gate"}
    assert names == wanted


@pytest.mark.parametrize("which", list(DRAWINGS))
def test_the_drawing_holds_the_devices_of_its_description(which):
    counts = drawn_counts(DRAWINGS[which]())
    assert counts == device_counts(DESCRIPTIONS[which])
    assert set(counts) <= set(DEVICE_KINDS)


def test_the_descriptions_name_their_parts():
    # the circuit of the papers: a DPI has a weight, a gain, a leak, one capacitor, an output
    for devices in (SYNAPSE_DEVICES, NEURON_DEVICES):
        assert all(device.kind in DEVICE_KINDS for device in devices)
    assert {d.bias for d in SYNAPSE_DEVICES if d.bias} == {"weight", "gain", "tau"}
    assert device_counts(NEURON_DEVICES)["capacitor"] == 2  # membrane and adaptation


def test_an_unknown_synapse_type_raises_naming_the_four():
    with pytest.raises(UnknownSynapseTypeError, match="AMPA, NMDA, GABA_A, GABA_B"):
        dpi_synapse("GLU")
