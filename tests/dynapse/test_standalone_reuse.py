"""A built standalone program reused without Brian2's build (``dynsim.dynapse.program``).

The reference is Brian2's own path on the same compiled program: the Experiment that built
the project runs it through ``device.run`` and reads the results through its monitors; an
Experiment of the same structure in the same process finds the manifest and runs the program
itself. Both run the same binary on the same run arguments, so every array must be equal
bit for bit. The project (two neurons: the recorded currents are 2-d, one column per neuron)
is compiled once per cache (about 10 s of CPU when cold): the only test of the 2-d results.
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pytest
from brian2 import Hz, amp, ms, pA, prefs, second
from brian2.devices.device import get_device, reset_device, runtime_device, set_device

import dynsim.dynapse.program as program_module
from dynsim.dynapse import Experiment
from dynsim.dynapse.program import (
    MANIFEST_NAME,
    fingerprint,
    forget_program,
    load_program,
)
from dynsim.dynapse.standalone import _STANDALONE_OWNER
from dynsim.engine import standalone_unavailable_reason
from dynsim.errors import EngineError

needs_compiler = pytest.mark.skipif(standalone_unavailable_reason() is not None,
                                    reason="standalone needs a C++ compiler and make")
NAME = "reuse_pair"
DURATION = 200 * ms
STEPS = 2000


def pair(name=NAME, **options):
    """Two neurons, four inputs, a DC current that makes them fire."""
    exp = Experiment(2, engine="standalone", name=name, seed=3, **options)
    exp.set_input("AMPA", rate=150 * Hz, weight=3)
    exp.set_input("NMDA", rate=40 * Hz, weight=2, independent=False)
    exp.set_input("GABA_A", rate=25 * Hz, kind="regular")
    exp.set_input("GABA_B", times=[20, 90, 150] * ms, weight=4)
    exp.set_bias({"Idc": 220 * pA})
    return exp


#: What the user changes between runs: biases and inputs (the program is the same).
SETTINGS = [
    lambda exp: None,
    lambda exp: exp.set_bias({"IF_DC_P": (2, 60), "IF_TAU1_N": (1, 40)}),
    lambda exp: exp.set_input("AMPA", rate=400 * Hz, weight=5),
    lambda exp: exp.set_input("GABA_B", times=[5, 6, 7, 120] * ms, weight=8),
    lambda exp: exp.clear_input("NMDA"),
    lambda exp: exp.set_bias({"Idc": 0 * pA}),
]


def assert_identical(one, two):
    assert one.t.dim is two.t.dim is second.dim
    np.testing.assert_array_equal(np.asarray(one.t), np.asarray(two.t))
    assert one.neuron_ids.tolist() == two.neuron_ids.tolist()
    assert list(one.currents) == list(two.currents)
    for name, values in one.currents.items():
        other = two.currents[name]
        assert values.dim is other.dim is amp.dim and values.shape == other.shape
        np.testing.assert_array_equal(np.asarray(values), np.asarray(other))
    assert one.spike_indices.dtype == two.spike_indices.dtype == np.int64
    np.testing.assert_array_equal(one.spike_indices, two.spike_indices)
    np.testing.assert_array_equal(np.asarray(one.spike_times), np.asarray(two.spike_times))
    assert one.spike_times.dim is two.spike_times.dim is second.dim


def owner():
    ref = _STANDALONE_OWNER["experiment"]
    return None if ref is None else ref()


def built(name=NAME):
    """An Experiment that has just built its project with Brian2 (and owns it)."""
    exp = pair(name)
    forget_program(exp._project_path(STEPS))
    assert exp.needs_build(DURATION)
    assert exp.prepare(DURATION) is True
    assert owner() is exp and exp._program is None
    return exp


@needs_compiler
def test_a_reused_program_gives_brian2s_results_bit_for_bit():
    brian = built()
    directory = brian.project_dir
    assert (directory / MANIFEST_NAME).is_file()
    references = []
    for change in SETTINGS:
        change(brian)
        references.append(brian.run(DURATION))
    assert set(references[0].spike_indices.tolist()) == {0, 1}  # both neurons fire
    assert references[0].currents["Imem"].shape == (2, STEPS)
    assert not np.array_equal(references[0].Imem, references[1].Imem)
    stale = directory / "results_4194305"  # above Linux's largest pid: a process that ended
    stale.mkdir(exist_ok=True)
    reused = pair()
    assert not reused.needs_build(DURATION)  # the manifest matches: nothing to build
    assert reused.project_dir is None and stale.exists()  # needs_build only looks
    assert reused.prepare(DURATION) is False
    assert reused.project_dir == directory and not stale.exists()
    for change, reference in zip(SETTINGS, references, strict=True):
        change(reused)
        assert_identical(reused.run(DURATION), reference)
    assert owner() is brian and reused._built is None  # Brian2's project left to its owner
    assert get_device() is runtime_device
    # no run-argument file is left (Brian2's were deleted when the program was adopted)
    assert not (directory / f"results_{os.getpid()}" / "arguments").exists()
    assert list((directory / "static_arrays").glob("init_*")) == []
    # the Experiment that built it runs the program itself once another one took Brian2's
    # project (here: built the same project again)
    other = built()
    assert not brian.needs_build(DURATION)  # its settings are those of the last reference
    assert_identical(brian.run(DURATION), references[-1])
    assert owner() is other and brian._program is not None


@needs_compiler
def test_a_changed_binary_manifest_or_structure_is_not_reused():
    exp = built()
    directory = exp.project_dir
    print_ = fingerprint(exp._structure(STEPS))
    reference = exp.run(DURATION)
    assert load_program(directory, print_) is not None
    assert load_program(directory, "0" * 64) is None
    # another structure of the same project directory: other neurons (global ids)
    assert fingerprint(pair(chip_id=1)._structure(STEPS)) != print_
    # a preference that enters the build; not the runtime target
    saved, target = list(prefs.codegen.cpp.extra_compile_args_gcc), prefs.codegen.target
    try:
        prefs.codegen.target = "numpy" if target != "numpy" else "cython"
        assert fingerprint(exp._structure(STEPS)) == print_
        prefs.codegen.cpp.extra_compile_args_gcc = [*saved, "-O1"]
        assert fingerprint(exp._structure(STEPS)) != print_
    finally:
        prefs.codegen.cpp.extra_compile_args_gcc, prefs.codegen.target = saved, target
    manifest = directory / MANIFEST_NAME
    text = manifest.read_text()
    for broken in ("{", json.dumps({**json.loads(text), "format": 0}),
                   json.dumps({**json.loads(text),
                               "results": {"t": {"dtype": "no", "shape": [], "file": "x"}}})):
        manifest.write_text(broken)
        assert load_program(directory, print_) is None and pair().needs_build(DURATION)
    manifest.write_text(text)
    reused = pair()
    assert not reused.needs_build(DURATION)
    # the binary changed (another process rebuilt it): not reused, built again
    binary = directory / "main"
    stat = binary.stat()
    os.utime(binary, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert reused.needs_build(DURATION) and load_program(directory, print_) is None
    assert reused.prepare(DURATION) is True and owner() is reused
    assert_identical(reused.run(DURATION), reference)
    assert load_program(directory, print_) is not None  # the build wrote a new manifest


@needs_compiler
def test_a_failed_run_of_a_reused_program_raises_and_the_next_run_builds():
    reference = built().run(DURATION)
    exp = pair()
    assert exp.prepare(DURATION) is False  # the program is reused
    steps, program = exp._program
    failing = dataclasses.replace(program, command=("sh", "-c", "echo boom; exit 3"))
    exp._program = (steps, failing)
    with pytest.raises(RuntimeError, match=r"(?s)Project run failed.*exit code 3.*boom"):
        exp.run(DURATION)
    assert exp._program is None and exp.needs_build(DURATION)
    assert not (program.directory / f"results_{os.getpid()}" / "arguments").exists()
    assert_identical(exp.run(DURATION), reference)  # built again with Brian2
    assert owner() is exp


@needs_compiler
def test_a_reused_program_runs_while_the_user_holds_brian2s_standalone_device():
    reference = built().run(DURATION)
    set_device("cpp_standalone", build_on_run=False)
    try:
        exp = pair()
        assert_identical(exp.run(DURATION), reference)  # no Brian2 device needed
        exp._program, exp._rebuild = None, True  # as after a failed run: it must build
        with pytest.raises(EngineError, match="standalone device is active"):
            exp.run(DURATION)
        assert (exp.project_dir / MANIFEST_NAME).is_file()  # a refused build deletes nothing
    finally:
        reset_device()
    assert get_device() is runtime_device


@needs_compiler
def test_a_wrong_run_argument_is_refused_as_brian2_refuses_it():
    built()
    exp = pair()
    assert exp.prepare(DURATION) is False
    program = exp._program[1]
    values = {name: np.zeros(spec.shape) for name, spec in program.arguments.items()}
    with pytest.raises(TypeError, match="differ from the program's"):
        program.run({**values, "unknown.values": np.zeros(3)})
    name = f"{NAME}_stimulus.values"
    with pytest.raises(TypeError, match=f"Incorrect size for variable '{name}'"):
        program.run({**values, name: np.zeros((3, 8))})


def test_the_code_hash_follows_every_file(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.pyc").write_bytes(b"1")
    first = program_module._package_files(str(tmp_path))
    program_module._package_files.cache_clear()
    (tmp_path / "__pycache__" / "a.pyc").write_bytes(b"22")  # bytecode: not code
    assert program_module._package_files(str(tmp_path)) == first
    program_module._package_files.cache_clear()
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "main.cpp").write_text("int main() {}\n")
    assert program_module._package_files(str(tmp_path)) != first
    program_module._package_files.cache_clear()


def test_the_toolchain_and_its_environment_enter_the_fingerprint(monkeypatch):
    structure = {"name": "demo", "n_steps": 10}
    before = fingerprint(structure)
    monkeypatch.setenv("CXXFLAGS", os.environ.get("CXXFLAGS", "") + " -O0")
    assert fingerprint(structure) != before
    monkeypatch.undo()
    assert fingerprint(structure) == before
    monkeypatch.setattr(program_module, "_installation", lambda: {"brian2": "another"})
    assert fingerprint(structure) != before
