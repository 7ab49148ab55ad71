"""What the first plot imports (issue 15): heavy modules stay off a DYNAP-SE bench's path.

A fresh kernel imports Brian2 (its own cost, the floor), then ``dynsim.widgets`` for the bench
(and an exercise's checks). Nothing it does not need may come back on that path: the Loihi
emulator and its bench, the sweep machinery (Dask, pandas) and its plots, schemdraw, the
course tools. Each is imported where it is used, and the lazily re-exported names still work.
Matplotlib is not in the list: Brian2 itself imports it (``from pylab import *``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support import load_script

ROOT = Path(__file__).resolve().parent.parent
#: The repository's ``tasks.py`` (the README's commands: the lab's environment).
TASKS = load_script("dynsim_tasks_import_cost", ROOT / "tasks.py")

#: Modules that must not be imported by the bench's and the checks' imports: top-level
#: packages (and their submodules), or dynsim modules by their full name.
HEAVY = ("dask", "distributed", "pandas", "schemdraw", "nbgrader", "papermill", "playwright",
         "dynsim.loihi", "dynsim.sweep", "dynsim.schematics", "dynsim.widgets.loihi",
         "dynsim.widgets.sweep_plots")

PROBE = textwrap.dedent(
    """
    import json, sys
    import brian2
    import dynsim.dynapse, dynsim.widgets, dynsim.checks, dynsim.checks.dynapse
    from dynsim.widgets import DynapseLab
    heavy = {heavy!r}
    loaded = sorted(m for m in sys.modules
                    if any(m == h or m.startswith(h + ".") for h in heavy))
    import dynsim
    version_read = "__version__" in vars(dynsim)
    # the lazy names, used: each imports its module and is the module's object
    from dynsim.widgets import LoihiLab, SweepProgress, demo_network, sweep_curve
    import dynsim.widgets.loihi, dynsim.widgets.sweep_plots
    same = (LoihiLab is dynsim.widgets.loihi.LoihiLab
            and sweep_curve is dynsim.widgets.sweep_plots.sweep_curve
            and SweepProgress is dynsim.widgets.sweep_plots.SweepProgress)
    network, neurons = demo_network(engine="numpy")[:2]
    network.run(5)
    from importlib.metadata import version
    try:
        getattr(dynsim.widgets, "NoSuchBench")
        missing = "no error"
    except AttributeError as exc:
        missing = str(exc)
    print(json.dumps({{"loaded": loaded, "version_read_at_import": version_read,
                      "same": same, "t_ms": float(network.t / brian2.ms),
                      "version": dynsim.__version__, "installed": version("dynsim"),
                      "missing": missing,
                      "all": sorted(set(dynsim.widgets.__all__) - set(dir(dynsim.widgets)))}}))
    """
)


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> dict:
    """Run the probe in a fresh interpreter (as a fresh kernel imports); return its report."""
    work = tmp_path_factory.mktemp("import-cost")
    out = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY)], cwd=work,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_bench_and_checks_import_nothing_heavy(probe):
    """``dynsim.widgets``, ``dynsim.dynapse`` and the DYNAP-SE checks load none of HEAVY."""
    assert probe["loaded"] == []


def test_version_is_read_when_asked_for(probe):
    """``dynsim.__version__`` is not read at import, and is the installed version when asked."""
    assert probe["version_read_at_import"] is False
    assert probe["version"] == probe["installed"]


def test_lazy_names_work_when_used(probe):
    """The lazily re-exported names are their modules' objects, and a Loihi network runs."""
    assert probe["same"] is True
    assert probe["t_ms"] == pytest.approx(5.0)  # 5 Loihi steps on the 1 ms clock
    assert probe["all"] == []  # every public name is listed by dir()


def test_unknown_name_is_an_attribute_error(probe):
    """A name that is neither defined nor lazily re-exported raises AttributeError, named."""
    assert "NoSuchBench" in probe["missing"]
    assert "dynsim.widgets" in probe["missing"]


# --------------------------------------------------------------------------- what a bench sends
def test_bias_rows_share_one_layout_and_style_per_column():
    """A panel's 25 rows open one layout per column and one style per kind, not 215 more."""
    from dynsim.widgets import BiasPanel

    from dynsim.dynapse import Experiment

    panel = BiasPanel(Experiment(1, engine="numpy", name="import_cost_panel"))
    try:
        rows = list(panel.controls.values())
        assert len(rows) == 25
        for part in ("label", "coarse", "fine", "readout", "box"):
            assert len({id(getattr(row, part).layout) for row in rows}) == 1, part
        sliders = {id(row.coarse.style) for row in rows} | {id(row.fine.style) for row in rows}
        texts = {id(row.label.style) for row in rows} | {id(row.readout.style) for row in rows}
        assert len(sliders) == 1 and len(texts) == 1
        # each control is still a widget of its own
        assert len({row.fine.model_id for row in rows}) == 25
    finally:
        panel.close()


def test_bokehjs_loaded_inline_by_the_notebook_is_not_sent_again(monkeypatch):
    """After the notebook's own ``output_notebook(INLINE)`` the bench sends no BokehJS."""
    import bokeh.io.notebook as notebook
    from bokeh.resources import CDN, INLINE
    from dynsim.widgets import _bokeh

    monkeypatch.setattr(notebook, "_NOTEBOOK_LOADED", None)
    assert _bokeh._inline_bokehjs_loaded() is False
    monkeypatch.setattr(notebook, "_NOTEBOOK_LOADED", CDN)  # a CDN fails offline: not enough
    assert _bokeh._inline_bokehjs_loaded() is False
    monkeypatch.setattr(notebook, "_NOTEBOOK_LOADED", INLINE)
    assert _bokeh._inline_bokehjs_loaded() is True

    class Shell:  # a kernel's shell, as IPython.get_ipython() returns it
        kernel = object()

    sent: list[object] = []
    monkeypatch.setattr(_bokeh, "in_kernel", lambda: True)
    monkeypatch.setattr("IPython.get_ipython", lambda: Shell)
    monkeypatch.setattr("bokeh.io.output_notebook", lambda *a, **k: sent.append(a))
    monkeypatch.setattr(_bokeh, "_LOADED", {"kernel": None})
    assert _bokeh.load_bokehjs() is False and sent == []  # loaded by the notebook already
    assert _bokeh.load_bokehjs(force=True) is True and len(sent) == 1
    monkeypatch.setattr(notebook, "_NOTEBOOK_LOADED", None)
    monkeypatch.setattr(_bokeh, "_LOADED", {"kernel": None})
    assert _bokeh.load_bokehjs() is True and len(sent) == 2  # nothing loaded: sent once
    assert _bokeh.load_bokehjs() is False and len(sent) == 2


# --------------------------------------------------------------------------- bytecode (issue 15)
def _compiled_probe(folder) -> tuple[str, str]:
    """A module ``fp_probe`` in ``folder`` with its bytecode beside it, as pip installs one.

    Returns the module's name and the path of its bytecode file.
    """
    import py_compile
    source = Path(folder) / "fp_probe.py"
    source.write_text("VALUE = 42\n")
    cached = source.parent / "__pycache__" / f"fp_probe.{sys.implementation.cache_tag}.pyc"
    py_compile.compile(str(source), cfile=str(cached), doraise=True)
    return "fp_probe", str(cached)


@pytest.mark.parametrize("writes", [False, True])
def test_commands_use_the_installed_bytecode_when_writing_is_off(tmp_path, monkeypatch,
                                                                  writes):
    """``tasks.py``'s commands read the bytecode beside a module when none may be written.

    With ``$PYTHONDONTWRITEBYTECODE`` set, a ``PYTHONPYCACHEPREFIX`` would hide the bytecode
    pip wrote beside every installed module and never fill: each process (a kernel, a test
    worker) would compile Brian2 and its dependencies from source. Read from ``python -v``
    ("code object from <the .pyc>": loaded from bytecode). With writing on, bytecode goes
    to the cache (``<cache>/pycache``), not to the repository, as before.
    """
    tasks = TASKS
    cache = tmp_path / "cache"
    monkeypatch.setenv("DYNSIM_CACHE_DIR", str(cache))
    monkeypatch.delenv("PYTHONPYCACHEPREFIX", raising=False)
    if writes:
        monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    else:
        monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    env = tasks.child_env(Path(sys.executable))
    name, cached = _compiled_probe(tmp_path)
    env["PYTHONPATH"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-v", "-c", f"import {name}; print({name}.VALUE)"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["42"]
    if writes:
        assert env["PYTHONPYCACHEPREFIX"] == str(cache.resolve() / "pycache")
        assert list((cache / "pycache").rglob("fp_probe.*.pyc"))  # compiled into the cache
    else:
        assert "PYTHONPYCACHEPREFIX" not in env
        assert f"code object from '{cached}'" in out.stderr


def test_a_prefix_of_your_own_is_kept(tmp_path, monkeypatch):
    """A ``PYTHONPYCACHEPREFIX`` you set yourself is passed on unchanged, writing on or off."""
    tasks = TASKS
    monkeypatch.setenv("DYNSIM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PYTHONPYCACHEPREFIX", str(tmp_path / "mine"))
    for dont_write in ("1", ""):
        monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", dont_write)
        assert tasks.child_env(Path(sys.executable))["PYTHONPYCACHEPREFIX"] == str(
            tmp_path / "mine")


# --------------------------------------------------------------------------- distutils (issue 15)
#: Runs in a fresh interpreter: the compiler commands Brian2's Cython runtime would run for one
#: extension (recorded, not run), Brian2's compiler and flags, and which distutils was used.
COMPILER_PROBE = textwrap.dedent(
    """
    import json, sys
    from brian2.codegen.cpp_prefs import get_compiler_and_args
    from brian2.codegen.runtime.cython_rt.extension_manager import (cython_extension_manager,
                                                                     Extension)
    import distutils, distutils.ccompiler
    compiler, flags = get_compiler_and_args()  # (it compiles its flag tests: before the patch)
    commands = []
    distutils.ccompiler.CCompiler.spawn = lambda self, cmd, **kw: commands.append(list(cmd))
    build = cython_extension_manager._get_build_extension()
    build.extensions = [Extension(name="probe", sources=[sys.argv[1] + "/probe.cpp"],
                                  extra_compile_args=flags, language="c++")]
    build.build_temp = build.build_lib = sys.argv[1]
    build.run()
    print(json.dumps({"distutils": distutils.__file__, "compiler": compiler, "flags": flags,
                      "commands": commands, "suffix": cython_extension_manager.so_ext}))
    """
)


def _stdlib_has_distutils() -> bool:
    """Whether this interpreter's standard library holds what Brian2 uses of distutils."""
    import sysconfig
    folder = Path(sysconfig.get_paths()["stdlib"]) / "distutils"
    return all((folder / part).is_file() for part in
               ("__init__.py", "ccompiler.py", "sysconfig.py", "command/build_ext.py"))


def test_fast_kernel_settings_only_where_the_standard_library_has_distutils(tmp_path):
    """The lab's kernels get ``SETUPTOOLS_USE_DISTUTILS=stdlib`` only where it can work."""
    tasks = TASKS
    expected = {"SETUPTOOLS_USE_DISTUTILS": "stdlib"} if _stdlib_has_distutils() else {}
    assert tasks.fast_kernel_settings(Path(sys.executable)) == expected
    # an interpreter without it (Python >= 3.12): a stand-in that fails the import
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    assert tasks.fast_kernel_settings(fake) == {}
    assert tasks.fast_kernel_settings(tmp_path / "missing") == {}


@pytest.mark.parametrize("given", [None, "local"])
def test_binder_start_sets_stdlib_distutils_unless_given(given):
    """``binder/start`` makes the same setting as the lab, and keeps a value of your own."""
    import os
    env = {k: v for k, v in os.environ.items() if k != "SETUPTOOLS_USE_DISTUTILS"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if given:
        env["SETUPTOOLS_USE_DISTUTILS"] = given
    out = subprocess.run([str(ROOT / "binder" / "start"), sys.executable, "-c",
                          "import os; print(os.environ.get('SETUPTOOLS_USE_DISTUTILS'))"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    expected = given or ("stdlib" if _stdlib_has_distutils() else "None")
    assert out.stdout.split() == [expected]



def test_browser_tests_start_the_lab_with_the_lab_kernel_settings(tmp_path, monkeypatch):
    """The browser tests' server gets ``python3 tasks.py lab``'s kernel settings too."""
    monkeypatch.delenv("SETUPTOOLS_USE_DISTUTILS", raising=False)
    import importlib

    monkeypatch.syspath_prepend(str(ROOT / "tests" / "browser"))
    labdriver = importlib.import_module("labdriver")
    env = labdriver.lab_environment(tmp_path)
    expected = TASKS.fast_kernel_settings(Path(sys.executable))
    assert env.get("SETUPTOOLS_USE_DISTUTILS") == expected.get("SETUPTOOLS_USE_DISTUTILS")
    # and the lab's kernel (tasks.lab_kernel_settings), first on the Jupyter path
    first = Path(env["JUPYTER_PATH"].split(":")[0])
    assert first == tmp_path / "lab-kernel"
    spec = first / "kernels" / "python3" / "kernel.json"
    assert "dynsim.widgets.lab_kernel" in spec.read_text()
    # a value of your own is kept (``--env SETUPTOOLS_USE_DISTUTILS=local`` in the benchmark)
    monkeypatch.setenv("SETUPTOOLS_USE_DISTUTILS", "local")
    assert labdriver.lab_environment(tmp_path / "own")["SETUPTOOLS_USE_DISTUTILS"] == "local"

def test_stdlib_distutils_gives_brian2_the_same_compiler_commands(tmp_path):
    """With ``SETUPTOOLS_USE_DISTUTILS=stdlib`` Brian2 compiles exactly as with setuptools'.

    The commands of one C++ extension build (Brian2's Cython runtime path, recorded, not run),
    the compiler, its flags and the module suffix are the same, so a warm cache stays warm.
    """
    import os

    if not _stdlib_has_distutils():
        pytest.skip("this Python has no distutils of its own: the setting is never made")
    reports = {}
    for which in ("local", "stdlib"):
        work = tmp_path / which
        work.mkdir()
        (work / "probe.cpp").write_text("int probe() { return 1; }\n")
        env = dict(os.environ, SETUPTOOLS_USE_DISTUTILS=which)
        out = subprocess.run([sys.executable, "-c", COMPILER_PROBE, str(work)], cwd=work,
                             env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        report = json.loads(out.stdout.strip().splitlines()[-1])
        report["commands"] = [[part.replace(str(work), "<work>") for part in command]
                              for command in report["commands"]]
        reports[which] = report
    local, stdlib = reports["local"], reports["stdlib"]
    assert "setuptools" in local["distutils"] and "setuptools" not in stdlib["distutils"]
    assert len(local["commands"]) == 2  # compile, link
    for key in ("compiler", "flags", "commands", "suffix"):
        assert local[key] == stdlib[key], key


# --------------------------------------------------------------------------- compiler flags
FLAG_PROBE = textwrap.dedent(
    """
    import json
    import dynsim.dynapse  # applies dynsim's Brian2 configuration
    import distutils.ccompiler
    runs = []
    spawn = distutils.ccompiler.CCompiler.spawn
    def counted(self, cmd, **kwargs):
        runs.append(cmd)
        return spawn(self, cmd, **kwargs)
    distutils.ccompiler.CCompiler.spawn = counted
    from brian2.codegen.cpp_prefs import get_compiler_and_args
    print(json.dumps({"flags": get_compiler_and_args()[1], "runs": len(runs)}))
    """
)


def test_compiler_flags_are_asked_once_per_compiler(tmp_path):
    """A new kernel reuses the flag answers of an earlier one instead of running the compiler.

    Brian2 compiles a test file per flag in every process; dynsim keeps the answers in the
    cache. Fresh interpreters: the first asks the compiler, the second does not and gets the
    same flags.
    """
    import os

    env = dict(os.environ, DYNSIM_CACHE_DIR=str(tmp_path / "cache"))

    def probe() -> dict:
        out = subprocess.run([sys.executable, "-c", FLAG_PROBE], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        return json.loads(out.stdout.strip().splitlines()[-1])

    first = probe()
    assert first["runs"] >= len(first["flags"]) > 0  # one compile per flag at least
    saved = tmp_path / "cache" / "brian2-compiler-flags.json"
    assert {e["flag"] for e in json.loads(saved.read_text())["entries"]} >= set(first["flags"])
    second = probe()
    assert second == {"flags": first["flags"], "runs": 0}


def test_compiler_flag_answers_belong_to_one_compiler_binary(tmp_path):
    """An answer is read back only for the same compiler binary (path, size, time).

    An unreadable file counts as empty (Brian2 asks the compiler again) and is written anew.
    """
    import os
    import shutil

    from dynsim._brian import CompilerFlags, _fingerprint

    path = tmp_path / "flags.json"
    fake = tmp_path / "bin" / "fakecc"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    command = str(fake)
    flags = CompilerFlags(path, {("other", "-g"): False})
    flags[(command, "-O3")] = True
    assert CompilerFlags(path, {}) == {("other", "-g"): False, (command, "-O3"): True}
    assert _fingerprint(command) is not None and _fingerprint("no-such-compiler-x") is None
    fake.write_text("#!/bin/sh\nexit 1\n")  # another compiler at the same path
    os.utime(fake, ns=(1, 1))
    assert (command, "-O3") not in CompilerFlags(path, {})
    shutil.rmtree(fake.parent)
    assert (command, "-O3") not in CompilerFlags(path, {})
    assert CompilerFlags(tmp_path / "missing.json", {}) == {}
    path.write_text("{not json")  # unreadable: ignored, then written anew
    flags = CompilerFlags(path, {})
    assert flags == {}
    flags[("other", "-g")] = True
    assert CompilerFlags(path, {}) == {("other", "-g"): True}
