"""Simulation engines: how Brian2 turns the emulators' equations into running code.

=============  ===========================================================================
engine         what runs
=============  ===========================================================================
``'cython'``   Brian2 runtime mode with compiled Cython code objects: fast steps, Python
               callbacks during a run (live plots), first build compiles (cached, see
               :mod:`dynsim._paths`).
``'numpy'``    Brian2 runtime mode with numpy code objects: no compiler needed, no compile
               wait, slower steps. The test suite uses it for short simulations.
``'auto'``     ``'cython'`` where a C compiler and Cython are available, else ``'numpy'``.
=============  ===========================================================================

One more name exists for the few classes that build a whole model once and re-run it many
times (:class:`dynsim.dynapse.Experiment`, :class:`dynsim.dynapse.Dynapse1Model`):
``'standalone'``, Brian2's ``cpp_standalone`` device (a compiled C++ program; parameters
change between runs without recompiling, no Python callbacks during a run). It needs a C++
compiler and ``make`` (:func:`standalone_unavailable_reason`); :func:`resolve_engine` accepts
it only with ``allow_standalone=True``.

The default engine is ``$DYNSIM_ENGINE`` when set, else ``'auto'``. dynsim never changes
``prefs.codegen.target``: every Brian2 object an emulator makes carries its own code-object
class, so a user's own objects keep the user's settings.

Examples
--------
>>> from dynsim.engine import resolve_engine
>>> resolve_engine("numpy")
'numpy'
"""

from __future__ import annotations

import functools
import os
import shutil
import sysconfig
import warnings

from dynsim.errors import EngineError

__all__ = [
    "ENGINES",
    "ENGINE_ENV",
    "STANDALONE",
    "codeobj_class",
    "default_engine",
    "resolve_engine",
    "resolve_standalone",
    "standalone_unavailable_reason",
]

#: Engines a user can name.
ENGINES: tuple[str, ...] = ("auto", "cython", "numpy")
#: Environment variable holding the default engine.
ENGINE_ENV = "DYNSIM_ENGINE"
#: Name of Brian2's C++ standalone device (only where a class accepts it).
STANDALONE = "standalone"


@functools.cache
def _compiler_available() -> bool:
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None and shutil.which("gcc") is None and shutil.which("cc") is None:
        return False
    try:
        import Cython  # noqa: F401
    except ImportError:
        return False
    return True


def default_engine() -> str:
    """Return the default engine: ``$DYNSIM_ENGINE`` or ``'auto'``."""
    return os.environ.get(ENGINE_ENV, "auto")


def standalone_unavailable_reason() -> str | None:
    """Return why the ``'standalone'`` engine cannot run here, or ``None`` if it can."""
    if not _compiler_available():
        return "no C/C++ compiler (or Cython) was found"
    if shutil.which("make") is None:
        return "the 'make' program was not found"
    return None


def resolve_engine(engine: str | None = None, *, allow_standalone: bool = False) -> str:
    """Return the concrete engine (``'cython'`` or ``'numpy'``) for a user's choice.

    Parameters
    ----------
    engine : str or None
        One of :data:`ENGINES`; ``None`` means :func:`default_engine`.
    allow_standalone : bool
        Accept ``'standalone'`` too (returned as is; check
        :func:`standalone_unavailable_reason` before using it).

    Returns
    -------
    str
        ``'cython'`` or ``'numpy'`` (or ``'standalone'``).

    Raises
    ------
    dynsim.errors.EngineError
        For an unknown name, or ``'cython'`` on a machine without a C compiler.
    """
    name = default_engine() if engine is None else engine
    if name == STANDALONE:
        if allow_standalone:
            return name
        raise EngineError("engine 'standalone' is only available for classes that re-run one "
                          "model many times (dynsim.dynapse.Experiment, "
                          "dynsim.dynapse.Dynapse1Model); choose one of "
                          f"{', '.join(ENGINES)}")
    if name not in ENGINES:
        raise EngineError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    if name == "auto":
        return "cython" if _compiler_available() else "numpy"
    if name == "cython" and not _compiler_available():
        raise EngineError("engine 'cython' needs a C compiler and Cython; none was found "
                          "(use engine='numpy', or install gcc)")
    return name


def resolve_standalone(engine: str | None = None) -> tuple[str, str | None]:
    """Resolve an engine of a class that accepts ``'standalone'``, falling back visibly.

    Parameters
    ----------
    engine : str or None
        As for :func:`resolve_engine` with ``allow_standalone=True``.

    Returns
    -------
    engine : str
        ``'standalone'``, ``'cython'`` or ``'numpy'``.
    fallback_reason : str or None
        Why ``'standalone'`` was asked for and cannot run here (a ``RuntimeWarning`` says it
        too, and the runtime engine of ``'auto'`` is returned); ``None`` otherwise.

    Examples
    --------
    >>> resolve_standalone("numpy")
    ('numpy', None)
    """
    wanted = resolve_engine(engine, allow_standalone=True)
    if wanted != STANDALONE:
        return wanted, None
    reason = standalone_unavailable_reason()
    if reason is None:
        return wanted, None
    fallback_reason = f"engine 'standalone' cannot run here: {reason}"
    runtime = resolve_engine("auto")
    warnings.warn(f"{fallback_reason}; using the runtime engine {runtime!r} instead (slower)",
                  RuntimeWarning, stacklevel=3)
    return runtime, fallback_reason


def codeobj_class(engine: str | None = None) -> type:
    """Return the Brian2 code-object class of an engine, for ``codeobj_class=`` arguments.

    Parameters
    ----------
    engine : str or None
        As for :func:`resolve_engine`.
    """
    concrete = resolve_engine(engine)
    if concrete == "cython":
        from brian2.codegen.runtime.cython_rt import CythonCodeObject

        return CythonCodeObject
    from brian2.codegen.runtime.numpy_rt import NumpyCodeObject

    return NumpyCodeObject
