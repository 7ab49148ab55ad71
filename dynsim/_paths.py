"""Where dynsim keeps generated files: one cache directory that the project controls.

Brian2 compiles code (Cython extension modules, C++ standalone projects). dynsim keeps all of
it, and nothing else, under one directory:

* ``$DYNSIM_CACHE_DIR`` when that environment variable is set, otherwise
* the user cache directory of the platform (``~/.cache/dynsim`` on Linux).

Nothing is written to the working directory or to the repository.

Examples
--------
>>> from dynsim._paths import cache_dir
>>> cache_dir().name  # doctest: +SKIP
'dynsim'
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir

__all__ = ["CACHE_ENV", "cache_dir", "cython_cache_dir", "standalone_dir"]

#: Environment variable that overrides the cache directory.
CACHE_ENV = "DYNSIM_CACHE_DIR"


def cache_dir() -> Path:
    """Return (and create) the root of dynsim's cache.

    Returns
    -------
    pathlib.Path
        ``$DYNSIM_CACHE_DIR`` if set, else the platform's user cache directory for dynsim.
    """
    env = os.environ.get(CACHE_ENV)
    path = Path(env).expanduser() if env else Path(user_cache_dir("dynsim", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def cython_cache_dir() -> Path:
    """Return the directory of Brian2's compiled Cython extension modules."""
    path = cache_dir() / "brian2-cython"
    path.mkdir(parents=True, exist_ok=True)
    return path


def standalone_dir(name: str) -> Path:
    """Return the project directory of a Brian2 ``cpp_standalone`` build called ``name``.

    Parameters
    ----------
    name : str
        A file-system safe name of the model (one directory per distinct model, so that
        rebuilding an unchanged model recompiles nothing).
    """
    path = cache_dir() / "brian2-standalone" / name
    path.mkdir(parents=True, exist_ok=True)
    return path
