"""dynsim's Brian2 configuration, applied once when an emulator package is imported.

What it sets, and why (every other Brian2 preference is left as the user has it):

* ``prefs.codegen.runtime.cython.cache_dir``: the compiled Cython modules go to
  :func:`dynsim._paths.cython_cache_dir` (``$DYNSIM_CACHE_DIR`` or the user cache directory),
  never to the working directory. A value the user has set explicitly is kept.
* ``prefs.codegen.cpp.extra_compile_args_gcc``: ``-march=native`` is removed, so a cache that
  was warmed when a Binder image was built still runs on another CPU of the cluster.
* ``prefs.devices.cpp_standalone.extra_make_args_unix``: Brian2's default ``-j`` (make starts
  every compiler of a standalone project at once: a bench's first build ran 12 ``cc1plus`` of
  up to 250 MB each beside the kernel, 1.4 GB) becomes ``-j`` :data:`MAKE_JOBS`, so a cold
  build stays inside a 1 GB JupyterHub or Binder user. A value the user has set is kept.
* Brian2 tests each compiler flag by compiling a small file, once per process (five compiler
  runs, 0.2-0.5 s before a kernel's first standalone build or Cython compile); the answers
  are kept in the cache (``<cache>/brian2-compiler-flags.json``, :class:`CompilerFlags`) for
  the same compiler binary (its path, size and modification time), so a new kernel asks the
  compiler only about a flag or a compiler it has not seen.
* A Cython module the cache lacks is compiled in short-lived child processes
  (:data:`COMPILE_IN_CHILD`, :func:`compile_cython_module`): Brian2's own
  ``CythonExtensionManager._load_module`` runs there with the same arguments, then the caller
  loads the finished module file as on a warm cache. A process that compiled in itself kept
  ~215 MB of Cython's compiler and its data (a fresh process: 361 MB after one cold
  ``Experiment``, 146 MB warm; glibc's ``malloc_trim`` returned none of it: it is in use);
  a kernel, a sweep worker and a notebook point's kernel now keep none of it, and Cython's
  memory is gone before the C++ compiler starts (issue 15: a class JupyterHub or Binder user
  has ~1 GB). The module is compiled with :data:`CYTHON_EXTRA_FLAGS` (``-g0``: no debug
  information, the same machine code, a compiler of ~195 MB instead of ~260 MB); standalone
  projects keep their flags, so their cached builds stay valid. A child that fails (no
  compiler, an error in the code, a Brian2 that needs more than the child gives it) changes
  nothing: the module is then compiled in the process as before, which raises the error a
  user has always seen. It costs time on a cold cache: a fresh child starts Cython anew for
  every module (~1.6 s more per module on the 2-core machine: a cold ``Experiment`` of 7
  modules took 35 s against 22 s). ``DYNSIM_COMPILE_IN_CHILD=0`` (:func:`compile_in_child`)
  compiles in the process instead, for a machine with memory to spare.

dynsim never changes ``defaultclock.dt`` or ``prefs.codegen.target``: emulator objects carry
their own clock and code-object class.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from dynsim._paths import cache_dir, cython_cache_dir

__all__ = ["COMPILE_IN_CHILD", "COMPILE_IN_CHILD_ENV", "CYTHON_EXTRA_FLAGS", "MAKE_JOBS",
           "CompilerFlags", "compile_cython_module", "compile_in_child", "configure"]

#: Compilers a standalone build runs at once (``make -j2``; Brian2's default ``-j`` has no limit).
MAKE_JOBS = 2
#: Compile a new Brian2 Cython module in short-lived child processes (``False``: in the process
#: that needs it, as Brian2 does); ``$DYNSIM_COMPILE_IN_CHILD`` (:data:`COMPILE_IN_CHILD_ENV`),
#: when set, decides instead.
COMPILE_IN_CHILD = True
#: Environment variable: ``1`` compiles a new Cython module in child processes (less memory
#: kept, the default), ``0`` in the process that needs it (a cold run about 1.6 s per module
#: faster; the process keeps ~215 MB of Cython's compiler). Set it before the kernel or the
#: sweep's workers start: it is read at every compile, in every process.
COMPILE_IN_CHILD_ENV = "DYNSIM_COMPILE_IN_CHILD"
#: Flags appended to a Cython module's compiler arguments (gcc and clang only; a standalone
#: project's flags are not changed): ``-g0``, no debug information (Python's ``CFLAGS`` carry
#: ``-g``), the same machine code, ~60 MB less compiler memory and ~30 % less compile time.
CYTHON_EXTRA_FLAGS: tuple[str, ...] = ("-g0",)
#: Brian2 preferences Brian2's compile of a Cython module reads (given to the child).
_CHILD_PREFS = ("codegen.runtime.cython.delete_source_files",)
#: The child: Brian2's own ``extension_manager.py`` (its file, run as a module of its own) with
#: the few names it takes from the rest of Brian2 given as stubs (the caller's preferences, a
#: silent ``std_silent``: the child's output is captured), then its ``_load_module`` with the
#: caller's arguments (pickled on stdin), in two phases, each a child of its own:
#: ``"cython"`` stops when Cython has written the module's C++ file (before the C++ compiler
#: starts: Cython's ~180 MB are gone when ``cc1plus`` runs), ``"build"`` skips Cython (the C++
#: file is there) and runs Brian2's build of it. Brian2 itself is not imported (0.3 s, against
#: 1.5 s and ~60 MB more for a child importing Brian2). If a Brian2 release needs more of
#: Brian2 here, a phase fails and the module is compiled in the caller, as before.
_CHILD = """\
import contextlib, importlib.util, logging, os, pickle, platform, sys, types
platform.processor()  # Cython asks for it (a ``uname -p`` process) when this one is large
request = pickle.load(sys.stdin.buffer)
root = request["brian2"]
def stub(name, **names):
    module = sys.modules[name] = types.ModuleType(name)
    module.__dict__.update(names)
class std_silent(contextlib.nullcontext):
    def __init__(self, *args, **kwargs):
        super().__init__()
stub("brian2", __path__=[root])
stub("brian2.core", __path__=[os.path.join(root, "core")])
stub("brian2.core.preferences", prefs=request["prefs"])
stub("brian2.utils", __path__=[os.path.join(root, "utils")])
stub("brian2.utils.filelock", FileLock=None)
stub("brian2.utils.logger", get_logger=logging.getLogger, std_silent=std_silent)
stub("brian2.utils.stringtools", deindent=None)
stub("brian2.synapses", __file__=os.path.join(root, "synapses", "__init__.py"))
path = os.path.join(root, "codegen", "runtime", "cython_rt", "extension_manager.py")
spec = importlib.util.spec_from_file_location("dynsim_cython_compile", path)
manager = importlib.util.module_from_spec(spec)
spec.loader.exec_module(manager)
class Cythonized(Exception):
    pass
def stop(build):
    raise Cythonized
def cythonized(extensions, **options):
    for extension in extensions:
        extension.sources = [os.path.splitext(source)[0] + ".cpp"
                             if source.endswith(".pyx") else source
                             for source in extension.sources]
    return extensions
if request["phase"] == "cython":
    manager.build_ext.run = stop
elif request["phase"] == "build":
    manager.Cython_Build = types.SimpleNamespace(cythonize=cythonized)
try:
    manager.CythonExtensionManager()._load_module(request["module_path"],
                                                  **request["arguments"])
except Cythonized:
    pass
"""

_configured = False


def configure() -> None:
    """Apply dynsim's Brian2 preferences (idempotent).

    Examples
    --------
    >>> from dynsim._brian import configure
    >>> from dynsim._paths import cython_cache_dir
    >>> configure()
    >>> from brian2 import prefs
    >>> prefs.codegen.runtime.cython.cache_dir == str(cython_cache_dir())  # unless set by you
    True
    >>> "-march=native" in prefs.codegen.cpp.extra_compile_args_gcc
    False
    >>> prefs.devices.cpp_standalone.extra_make_args_unix  # unless set by you
    ['-j2']
    """
    global _configured
    if _configured:
        return
    from brian2 import prefs

    if prefs.codegen.runtime.cython.cache_dir is None:
        prefs.codegen.runtime.cython.cache_dir = str(cython_cache_dir())
    if list(prefs.devices.cpp_standalone.extra_make_args_unix) == ["-j"]:  # Brian2's default
        prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{MAKE_JOBS}"]
    args = list(prefs.codegen.cpp.extra_compile_args_gcc)
    prefs.codegen.cpp.extra_compile_args_gcc = [a for a in args if a != "-march=native"]
    from brian2.codegen import cpp_prefs

    known = getattr(cpp_prefs, "_compiler_flag_compatibility", None)
    if type(known) is dict:  # Brian2's per-process answers: kept on disk from now on
        cpp_prefs._compiler_flag_compatibility = CompilerFlags(
            cache_dir() / "brian2-compiler-flags.json", known)
    _wrap_cython_compiles()
    _configured = True


def _cython_arguments(arguments: dict) -> dict:
    """Return Brian2's compile arguments with :data:`CYTHON_EXTRA_FLAGS` (gcc or clang)."""
    if arguments.get("compiler") not in (None, "unix", "gcc") or os.name != "posix":
        return arguments
    flags = list(arguments.get("extra_compile_args") or [])
    flags += [flag for flag in CYTHON_EXTRA_FLAGS if flag not in flags]
    return {**arguments, "extra_compile_args": flags}


def compile_in_child(environ: Mapping[str, str] | None = None) -> bool:
    """Return whether a new Cython module is compiled in child processes.

    ``$DYNSIM_COMPILE_IN_CHILD`` when set (``1``: in children, ``0``: in this process), else
    :data:`COMPILE_IN_CHILD`.

    Parameters
    ----------
    environ : mapping, optional
        The environment to read (default: ``os.environ``).

    Raises
    ------
    dynsim.errors.EngineError
        When the variable is set to anything but ``0`` or ``1``.

    Examples
    --------
    >>> compile_in_child({"DYNSIM_COMPILE_IN_CHILD": "0"})
    False
    """
    environ = os.environ if environ is None else environ
    value = environ.get(COMPILE_IN_CHILD_ENV, "").strip()
    if not value:
        return COMPILE_IN_CHILD
    if value not in ("0", "1"):
        from dynsim.errors import EngineError

        raise EngineError(f"${COMPILE_IN_CHILD_ENV} must be 1 (compile a new Cython module in "
                          f"child processes) or 0 (in the process that needs it), got {value!r}")
    return value == "1"


def compile_cython_module(module_path: str, arguments: dict) -> bool:
    """Compile one Brian2 Cython module in a child process; return whether its file exists.

    Brian2's own compile, ``CythonExtensionManager._load_module(module_path, **arguments)``,
    runs from Brian2's ``extension_manager.py`` without the rest of Brian2 (:data:`_CHILD`)
    in two short-lived children, one after the other: Cython writes the C++ file, then the
    C++ compiler builds the module from it (a module with extra ``sources``: one child for
    both). Nothing of either stays in the caller, which holds Brian2's lock of the module
    meanwhile and then loads the finished file.

    Parameters
    ----------
    module_path : str
        The module file to make (``<cython cache>/<module name><suffix>``).
    arguments : dict
        The keyword arguments of Brian2's ``CythonExtensionManager._load_module``
        (``key``, which only names the module in the caller's memory, is not passed).

    Returns
    -------
    bool
        True when the child ended well and the module file exists; False otherwise (the
        caller then compiles in its own process, which raises the error a user sees).

    Examples
    --------
    >>> compile_cython_module("/nonexistent/module.so", {"code": "#"})
    False
    """
    import brian2
    from brian2 import prefs

    request = {"module_path": module_path, "brian2": os.path.dirname(brian2.__file__),
               "arguments": {**{k: v for k, v in arguments.items() if k != "key"},
                             "key": None},
               "prefs": {name: prefs[name] for name in _CHILD_PREFS}}
    made = {"cython": os.path.join(str(arguments.get("lib_dir")),
                                   f"{arguments.get('module_name')}.cpp"),
            "build": module_path}
    phases = ("cython", "build") if not arguments.get("sources") else ("all",)
    for phase in phases:
        try:
            done = subprocess.run([sys.executable, "-c", _CHILD],
                                  input=pickle.dumps({**request, "phase": phase}),
                                  capture_output=True, check=False)
        except (OSError, pickle.PicklingError, TypeError):
            return False
        if done.returncode != 0 or not os.path.isfile(made.get(phase, module_path)):
            return False
    return True


def _wrap_cython_compiles() -> None:
    """Route Brian2's compile of a new Cython module through :func:`compile_cython_module`."""
    try:
        from brian2.codegen.runtime.cython_rt.extension_manager import (
            cython_extension_manager as manager,
        )
    except ImportError:  # no Cython: Brian2 uses numpy
        return
    original = manager._load_module
    if getattr(original, "dynsim_wrapped", False):
        return

    def load_module(module_path: str, **arguments: object) -> object:
        if os.path.isfile(module_path):  # compiled before (a warm cache): Brian2 loads it
            return original(module_path, **arguments)
        in_child = compile_in_child()  # before anything is compiled: a bad value changes nothing
        arguments = _cython_arguments(arguments)
        if in_child:
            compile_cython_module(module_path, arguments)  # the module file, or nothing
        # loads the file; without it compiles here as Brian2 does (and raises its error)
        return original(module_path, **arguments)

    load_module.dynsim_wrapped = True  # type: ignore[attr-defined]
    manager._load_module = load_module


def _fingerprint(command: str) -> str | None:
    """Path, size and modification time of the compiler binary a command runs, or None."""
    words = command.split()
    found = shutil.which(words[0]) if words else None
    if found is None:
        return None
    stat = os.stat(os.path.realpath(found))
    return f"{os.path.realpath(found)}:{stat.st_size}:{stat.st_mtime_ns}"


class CompilerFlags(dict):
    """Brian2's ``{(compiler command, flag): supported}``, kept in a JSON file of the cache.

    Brian2 (``brian2.codegen.cpp_prefs.has_flag``) reads and fills this mapping; an answer
    is read from the file only for the same compiler binary (:func:`_fingerprint`), and each
    new answer is written at once (a new file renamed over the old: two kernels never leave a
    half-written file). An unreadable file is ignored (Brian2 asks the compiler again).

    Parameters
    ----------
    path : pathlib.Path
        The JSON file.
    known : dict
        Answers this process has already (kept).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     flags = CompilerFlags(pathlib.Path(folder) / "flags.json", {})
    ...     flags[("sh", "-O3")] = True  # as Brian2's has_flag records an answer
    ...     CompilerFlags(pathlib.Path(folder) / "flags.json", {})[("sh", "-O3")]
    True
    """

    def __init__(self, path: Path, known: dict) -> None:
        super().__init__()
        self._path = path
        try:
            entries = json.loads(path.read_text())["entries"]
            for entry in entries:
                key = (entry["command"], entry["flag"])
                if entry["fingerprint"] == _fingerprint(key[0]):
                    dict.__setitem__(self, key, bool(entry["supported"]))
        except (OSError, ValueError, KeyError, TypeError):
            pass
        self.update(known)

    def __setitem__(self, key: tuple[str, str], supported: bool) -> None:
        dict.__setitem__(self, key, supported)
        entries = [{"command": command, "flag": flag, "supported": bool(value),
                    "fingerprint": _fingerprint(command)}
                   for (command, flag), value in self.items()]
        partial = self._path.with_name(f"{self._path.name}.{os.getpid()}.tmp")
        try:
            partial.write_text(json.dumps({"entries": entries}, indent=1))
            os.replace(partial, self._path)
        except OSError:
            partial.unlink(missing_ok=True)  # a read-only cache: answers stay in memory
