"""A built standalone program run again without Brian2's build: its manifest and fingerprint.

Brian2's ``cpp_standalone`` device runs a compiled project only after it has created the
model's objects, generated the code again and written the project (0.8-1.9 s for a bench,
``benchmarks/levers.md``, "First plot (3)"), even when nothing changed since the program on
disk was compiled. After a successful build, :func:`describe_build` writes a manifest into
the project directory (``dynsim-program.json``): a fingerprint of everything that determines
the generated program, the command that runs it, the names, dtypes and shapes of its run
arguments, the files it writes its results to, and the size and modification time of the
files it reads (the ``main`` binary, the static arrays). :func:`load_program` gives the
:class:`Program` back when the fingerprint of the current process matches and the files are
unchanged, and :meth:`Program.run` runs it as Brian2 would (run-argument files, ``./main
--results_dir <folder> name=value ...`` with Brian2's environment variables) and reads the
results with numpy.

The fingerprint (:func:`fingerprint`) covers, conservatively:

* the caller's structure (everything it gives Brian2 to build the objects: names, sizes,
  steps, dt, recorded variables, equations, namespace, code strings);
* dynsim's and Brian2's code: path, size and modification time of every file of both
  packages (Brian2's templates included), their versions, numpy's version, the Python
  version and prefix (hashed once per process);
* Brian2's preferences that enter the generated code or its build (every ``core``, ``GSL``,
  ``legacy``, ``codegen`` and ``devices.cpp_standalone`` preference, except the runtime
  targets' ``codegen.target`` and ``codegen.runtime.*``, which the standalone device never
  reads);
* the toolchain: the compiler binary ``make`` calls (``$CXX`` or ``g++``: path, size,
  modification time), ``make``'s, and the compiler's environment variables.

Examples
--------
>>> from dynsim.dynapse.program import fingerprint
>>> fingerprint({"name": "demo", "n_steps": 10}) == fingerprint({"name": "demo", "n_steps": 10})
True
>>> fingerprint({"name": "demo", "n_steps": 10}) == fingerprint({"name": "demo", "n_steps": 11})
False
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dynsim._brian import _fingerprint as _binary_fingerprint
from dynsim.dynapse.standalone import results_folder

__all__ = [
    "MANIFEST_NAME",
    "ArraySpec",
    "Program",
    "describe_build",
    "fingerprint",
    "forget_program",
    "load_program",
]

#: The manifest's file name in a project directory.
MANIFEST_NAME = "dynsim-program.json"
#: Version of the manifest's layout (a manifest of another version is not read).
_FORMAT = 1
#: Preference prefixes that enter the generated code or its build, and the exceptions.
_PREFERENCES = ("core.", "legacy.", "codegen.", "devices.cpp_standalone.", "GSL.")
_RUNTIME_ONLY = ("codegen.target", "codegen.runtime.")
#: Environment variables that ``make`` and the compiler read.
_TOOLCHAIN_ENV = ("CC", "CXX", "CPPFLAGS", "CFLAGS", "CXXFLAGS", "LDFLAGS", "LDLIBS",
                  "MAKEFLAGS", "CPATH", "LIBRARY_PATH", "CPLUS_INCLUDE_PATH")


# --------------------------------------------------------------------------- fingerprint
@functools.cache
def _package_files(root: str) -> str:
    """Hash of the relative path, size and modification time of every file under ``root``."""
    digest = hashlib.sha256()
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(files):
            path = os.path.join(folder, name)
            stat = os.stat(path)
            digest.update(f"{os.path.relpath(path, root)}:{stat.st_size}:"
                          f"{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@functools.cache
def _installation() -> dict[str, str]:
    """Return what the process runs: dynsim's and Brian2's files, their versions, numpy, Python."""
    import brian2

    import dynsim

    dynsim_root = os.path.dirname(os.path.abspath(dynsim.__file__))
    brian2_root = os.path.dirname(os.path.abspath(brian2.__file__))
    return {"python": sys.version, "prefix": sys.prefix, "platform": sys.platform,
            "numpy": np.__version__, "brian2": str(brian2.__version__),
            "brian2_root": brian2_root, "brian2_files": _package_files(brian2_root),
            "dynsim_root": dynsim_root, "dynsim_files": _package_files(dynsim_root)}


def _preferences() -> dict[str, str]:
    """Brian2's preferences that enter the standalone code or its build (``repr`` each)."""
    from brian2 import prefs

    return {name: repr(prefs[name]) for name in sorted(prefs)
            if name.startswith(_PREFERENCES) and not name.startswith(_RUNTIME_ONLY)}


def _toolchain() -> dict[str, str | None]:
    """Return the compiler and ``make`` binaries and the environment variables they read."""
    tools = {"compiler": _binary_fingerprint(os.environ.get("CXX") or "g++"),
             "make": _binary_fingerprint("make")}
    tools.update({f"${name}": os.environ.get(name) for name in _TOOLCHAIN_ENV})
    return tools


def fingerprint(structure: Mapping[str, Any]) -> str:
    """Return the fingerprint of a standalone program built from ``structure`` here.

    Parameters
    ----------
    structure : mapping
        Everything the caller gives Brian2 to build its objects (JSON-able values, or
        values whose ``repr`` is exact: names, sizes, steps, dt, equations, code strings).

    Returns
    -------
    str
        A SHA-256 hex digest of ``structure`` with this process's installation (dynsim's and
        Brian2's files, versions), Brian2's code and build preferences and the toolchain.

    Examples
    --------
    >>> len(fingerprint({"name": "demo"}))
    64
    """
    payload = {"format": _FORMAT, "structure": dict(structure),
               "installation": _installation(), "preferences": _preferences(),
               "toolchain": _toolchain()}
    text = json.dumps(payload, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------- manifest
@dataclass(frozen=True)
class ArraySpec:
    """An array the program reads (a run argument) or writes (a result).

    Attributes
    ----------
    dtype : str
        numpy dtype (``'float64'``, ``'int32'``, ...).
    shape : tuple of int
        Run argument: its exact shape. Result: ``()`` for a 1-d array of any length,
        ``(columns,)`` for a 2-d array stored row by row (a recorded variable: one row per
        sample time, one column per recorded neuron).
    file : str
        Result: the file name in the results folder (Brian2's ``get_array_filename``); run
        argument: empty.
    """

    dtype: str
    shape: tuple[int, ...]
    file: str = ""


def _files(directory: Path) -> dict[str, list[int]]:
    """Return size and modification time (ns) of the files the program reads.

    Its binary and the static arrays (the run-argument files ``init_*`` excepted).
    """
    binary = "main.exe" if os.name == "nt" else "main"
    found: dict[str, list[int]] = {}
    paths = [directory / binary]
    folder = directory / "static_arrays"
    if folder.is_dir():
        paths += [p for p in folder.iterdir() if not p.name.startswith("init_")]
    for path in paths:
        stat = path.stat()  # a missing binary raises: no program to describe or reuse
        found[path.relative_to(directory).as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return found


@dataclass(frozen=True)
class Program:
    """A compiled standalone program that can run without Brian2's device.

    Attributes
    ----------
    directory : Path
        The project directory.
    fingerprint : str
        :func:`fingerprint` of the build.
    command : tuple of str
        The command that runs the program (Brian2's ``run_cmd_unix``, ``('./main',)``).
    environment : dict
        Environment variables of a run (Brian2's ``run_environment_variables``).
    arguments : dict of str to ArraySpec
        Run arguments by Brian2's name (``'<group>.<variable>'``, ``'<timed array>.values'``).
    results : dict of str to ArraySpec
        Result files by the caller's role name.
    checks : dict of str to ArraySpec
        Final values Brian2 checks for NaN or very large values (``'<group>.<variable>'``
        of each differential equation).
    files : dict of str to list of int
        Size and modification time (ns) of the binary and the static arrays after the build.
    """

    directory: Path
    fingerprint: str
    command: tuple[str, ...]
    environment: dict[str, str] = field(default_factory=dict)
    arguments: dict[str, ArraySpec] = field(default_factory=dict)
    results: dict[str, ArraySpec] = field(default_factory=dict)
    checks: dict[str, ArraySpec] = field(default_factory=dict)
    files: dict[str, list[int]] = field(default_factory=dict)

    def unchanged(self) -> bool:
        """Return whether the binary and the static arrays are those of the build."""
        try:
            return _files(self.directory) == self.files
        except OSError:
            return False

    def save(self) -> None:
        """Write the manifest (a new file renamed over the old one: never half written)."""
        data = {"format": _FORMAT, "fingerprint": self.fingerprint,
                "command": list(self.command), "environment": self.environment,
                "files": self.files}
        for part in ("arguments", "results", "checks"):
            data[part] = {name: {"dtype": spec.dtype, "shape": list(spec.shape),
                                 "file": spec.file}
                          for name, spec in getattr(self, part).items()}
        path = self.directory / MANIFEST_NAME
        partial = path.with_name(f"{MANIFEST_NAME}.{os.getpid()}.tmp")
        try:
            partial.write_text(json.dumps(data, indent=1, sort_keys=True))
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)

    def run(self, values: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """Run the program once with ``values`` as run arguments; return its results.

        The run-argument arrays go to files of a folder of this process's results folder
        (deleted after the run); a value of one element is given on the command line, as
        Brian2 gives it.

        Parameters
        ----------
        values : mapping
            One value per run argument (:attr:`arguments`: same names, shapes).

        Returns
        -------
        dict of str to numpy.ndarray
            The results by role (1-d, or 2-d ``(rows, columns)``).

        Raises
        ------
        RuntimeError
            When the program fails (the message holds its output) or a result is missing,
            as Brian2's ``device.run`` raises for a failed run.
        TypeError
            For a run argument of another shape (Brian2's "Incorrect size").
        """
        if set(values) != set(self.arguments):
            raise TypeError(f"run arguments {sorted(values)} differ from the program's "
                            f"{sorted(self.arguments)}")
        results = results_folder(self.directory)
        folder = results / "arguments"
        folder.mkdir(exist_ok=True)
        try:
            words = [*self.command, "--results_dir", os.path.join(str(results), "")]
            for name, spec in self.arguments.items():
                array = np.asarray(values[name], dtype=spec.dtype)
                if array.ndim == 0 or array.size == 1:
                    words.append(f"{name}={array.item()!r}")
                    continue
                if array.shape != spec.shape:
                    raise TypeError(f"Incorrect size for variable '{name}'. Shape "
                                    f"{spec.shape} ≠ {array.shape}.")
                path = folder / f"{name}.dat"
                array.tofile(path)
                words.append(f"{name}={path}")
            output = results / "stdout.txt"
            environment = {**os.environ, **self.environment}
            try:
                with open(output, "w") as stdout:
                    code = subprocess.call(words, cwd=self.directory, stdout=stdout,
                                           env=environment)
            except OSError as error:
                raise RuntimeError(f"Project run failed (project directory: {self.directory}"
                                   f"): {error}") from error
            if code:
                text = output.read_text(errors="replace") if output.exists() else ""
                raise RuntimeError(f"Project run failed (project directory: {self.directory}"
                                   f", exit code {code}); the program's output:\n{text}")
            read = {role: _read(results, spec) for role, spec in self.results.items()}
            for name, spec in self.checks.items():
                _warn_invalid(name, _read(results, spec))
            return read
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _read(results: Path, spec: ArraySpec) -> np.ndarray:
    """Read one result file as Brian2's ``get_value`` reads it."""
    try:
        data = np.fromfile(results / spec.file, dtype=spec.dtype)
    except OSError as error:
        raise RuntimeError(f"the program wrote no result {spec.file!r} in {results}") from error
    if spec.shape:
        columns = spec.shape[0]
        if columns == 0 or len(data) % columns:
            raise RuntimeError(f"result {spec.file!r} has {len(data)} values, not rows of "
                               f"{columns}")
        return data.reshape(-1, columns)
    return data


def _warn_invalid(name: str, values: np.ndarray) -> None:
    """Log Brian2's warning for NaN or very large final values (as ``device.run`` does)."""
    if np.isnan(values).any() or (np.abs(values) > 1e50).any():
        from brian2.utils.logger import get_logger

        group, variable = name.rsplit(".", 1)
        get_logger("brian2.groups.group").warn(
            f"{group}'s variable '{variable}' has NaN, very large values, or encountered an "
            "error in numerical integration. This is usually a sign that an unstable or "
            "invalid integration method was chosen.", name_suffix="invalid_values", once=True)


def forget_program(directory: Path) -> None:
    """Delete a project's manifest (before a build: nobody reuses a half-built program)."""
    (Path(directory) / MANIFEST_NAME).unlink(missing_ok=True)


def load_program(directory: Path, expected: str) -> Program | None:
    """Return the project's program when its manifest has fingerprint ``expected``.

    Parameters
    ----------
    directory : Path
        The project directory.
    expected : str
        :func:`fingerprint` of the program this process would build.

    Returns
    -------
    Program or None
        ``None`` when the manifest is missing, unreadable, of another fingerprint or layout,
        or when the binary or a static array changed since the build.
    """
    directory = Path(directory)
    try:
        data = json.loads((directory / MANIFEST_NAME).read_text())
        if data["format"] != _FORMAT or data["fingerprint"] != expected:
            return None
        parts = {part: {name: ArraySpec(str(spec["dtype"]),
                                        tuple(int(s) for s in spec["shape"]),
                                        str(spec["file"]))
                        for name, spec in data[part].items()}
                 for part in ("arguments", "results", "checks")}
        program = Program(directory, expected, tuple(str(w) for w in data["command"]),
                          {str(k): str(v) for k, v in data["environment"].items()},
                          files={str(k): [int(v) for v in value]
                                 for k, value in data["files"].items()}, **parts)
        for spec in (*program.arguments.values(), *program.results.values(),
                     *program.checks.values()):
            np.dtype(spec.dtype)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return program if program.command and program.unchanged() else None


def describe_build(device: Any, directory: Path, built: str, arguments: Any,
                   results: Mapping[str, Any], checks: Any = ()) -> Program:
    """Return the :class:`Program` Brian2's standalone ``device`` has just built.

    Parameters
    ----------
    device : brian2.devices.cpp_standalone.CPPStandaloneDevice
        The device, after ``device.build(directory=..., compile=True)``.
    directory : Path
        The project directory.
    built : str
        :func:`fingerprint` of the build (computed before it).
    arguments : iterable
        The run arguments, as given to ``device.run``: ``VariableView`` s (``group.v``) and
        ``TimedArray`` s.
    results : mapping
        Role name -> Brian2 ``Variable`` whose file the program writes (``monitor.variables
        ['t']``); a 2-d variable is read row by row with its number of columns.
    checks : iterable of (group name, Variable)
        Final values to check for NaN as Brian2's ``device.run`` does.
    """
    from brian2 import TimedArray, prefs

    specs: dict[str, ArraySpec] = {}
    for key in arguments:
        if isinstance(key, TimedArray):
            specs[f"{key.name}.values"] = ArraySpec(str(key.values.dtype), key.values.shape)
        else:
            specs[f"{key.group_name}.{key.name}"] = ArraySpec(str(np.dtype(key.dtype)),
                                                              tuple(key.shape))

    def result(variable: Any) -> ArraySpec:
        size = variable.size
        shape = (int(size[1]),) if isinstance(size, tuple) and len(size) == 2 else ()
        return ArraySpec(str(np.dtype(variable.dtype)), shape,
                         device.get_array_filename(variable))

    if os.name == "nt":
        command: tuple[str, ...] = (str(Path(directory) / "main"),)
    else:
        run_cmd = prefs.devices.cpp_standalone.run_cmd_unix
        command = (run_cmd,) if isinstance(run_cmd, str) else tuple(run_cmd)
    environment = {**prefs["devices.cpp_standalone.run_environment_variables"],
                   **device.run_environment_variables}
    return Program(Path(directory), built, command,
                   {str(k): str(v) for k, v in environment.items()}, specs,
                   {role: result(variable) for role, variable in results.items()},
                   {f"{group}.{variable.name}": result(variable)
                    for group, variable in checks},
                   _files(Path(directory)))
