"""dynsim's Brian2 configuration, applied once when an emulator package is imported.

What it sets, and why (every other Brian2 preference is left as the user has it):

* ``prefs.codegen.runtime.cython.cache_dir``: the compiled Cython modules go to
  :func:`dynsim._paths.cython_cache_dir` (``$DYNSIM_CACHE_DIR`` or the user cache directory),
  never to the working directory. A value the user has set explicitly is kept.
* ``prefs.codegen.cpp.extra_compile_args_gcc``: ``-march=native`` is removed, so a cache that
  was warmed when a Binder image was built still runs on another CPU of the cluster.

dynsim never changes ``defaultclock.dt`` or ``prefs.codegen.target``: emulator objects carry
their own clock and code-object class.
"""

from __future__ import annotations

from dynsim._paths import cython_cache_dir

__all__ = ["configure"]

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
    """
    global _configured
    if _configured:
        return
    from brian2 import prefs

    if prefs.codegen.runtime.cython.cache_dir is None:
        prefs.codegen.runtime.cython.cache_dir = str(cython_cache_dir())
    args = list(prefs.codegen.cpp.extra_compile_args_gcc)
    prefs.codegen.cpp.extra_compile_args_gcc = [a for a in args if a != "-march=native"]
    _configured = True
