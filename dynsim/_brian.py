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

dynsim never changes ``defaultclock.dt`` or ``prefs.codegen.target``: emulator objects carry
their own clock and code-object class.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from dynsim._paths import cache_dir, cython_cache_dir

__all__ = ["MAKE_JOBS", "CompilerFlags", "configure"]

#: Compilers a standalone build runs at once (``make -j2``; Brian2's default ``-j`` has no limit).
MAKE_JOBS = 2

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
    _configured = True


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
