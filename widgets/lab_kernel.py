"""The lab's Python kernel: it imports what a bench needs while the student reads.

A fresh kernel spends about 2 s (idle 2-core machine) importing Brian2 (with ``pylab`` and
sympy), Bokeh's plotting models and :mod:`dynsim.widgets` before a bench cell can build
anything: more than half of the first plot a student waits for (``benchmarks/levers.md``,
"First plot (5)"). The lab's kernels do those imports when the kernel starts, before it
reports itself ready, so the first bench cell finds them done. The library stays lazy: a
plain ``import dynsim`` imports none of this.

How the lab gets it
-------------------
* :func:`install` writes a kernel spec named ``python3`` (the name every course notebook
  asks for; made with ipykernel's own :func:`ipykernel.kernelspec.write_kernel_spec`, i.e.
  the standard kernel with one argument more:
  ``--IPKernelApp.extensions=dynsim.widgets.lab_kernel``) into a Jupyter data directory of
  the project's cache, and the lab server gets that directory first on ``JUPYTER_PATH``.
  ``python3 tasks.py lab`` (``tasks.lab_kernel_settings``), the browser tests' server and
  Binder (``binder/postBuild`` writes it, ``binder/start`` puts it on the path) do this.
* IPython loads the extension while the kernel starts: :func:`load_ipython_extension`
  imports :data:`PRELOAD_MODULES` (in this order). It also takes the spec's directory off
  the kernel's own ``JUPYTER_PATH`` (the spec names it in :data:`DIRECTORY_VARIABLE`), so
  that kernels a notebook starts itself (papermill's, in a notebook sweep, also through the
  sweep's Dask workers) are the standard ``python3`` kernel: they never display a bench.
* An import that fails does not stop the kernel: IPython reports the extension's error in
  the server's log, and the notebook's own import raises it again where the student sees it.

What it costs: the kernel is ready about 2 s later (the same 2 s a first cell would spend),
and a kernel that never uses Brian2 or a bench still holds them (idle: 177 MB RSS against
52 MB for the standard kernel; ``benchmarks/levers.md``, "First plot (5)"). The first plot's
benchmark reports the kernel's start beside the first plot (``benchmarks/RESULTS.md``).

Examples
--------
>>> spec = kernel_spec("/usr/bin/python3")
>>> spec["argv"][-1]
'--IPKernelApp.extensions=dynsim.widgets.lab_kernel'
>>> spec["argv"][:3]
['/usr/bin/python3', '-m', 'ipykernel_launcher']
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["DIRECTORY_VARIABLE", "KERNEL_NAME", "PRELOAD_MODULES", "install", "kernel_spec",
           "load_ipython_extension", "preload"]

#: Name of the kernel spec: the one the course notebooks ask for, so they get this kernel.
KERNEL_NAME = "python3"

#: Environment variable, set by the spec, naming the Jupyter data directory that holds it.
DIRECTORY_VARIABLE = "DYNSIM_LAB_KERNEL_DIR"

#: What a bench cell imports before it can build a bench, in import order: Brian2 (a bench's
#: units, and ``pylab`` and sympy with it), Bokeh's plotting models (the scopes' figures) and
#: the benches themselves (ipywidgets, jupyter_bokeh).
PRELOAD_MODULES = ("brian2", "bokeh.plotting", "dynsim.widgets")

#: The kernel's argument that loads this module as an IPython extension (its name spelled
#: out: run as ``python -m``, this module's ``__name__`` is ``__main__``).
_EXTENSION_ARGUMENT = "--IPKernelApp.extensions=dynsim.widgets.lab_kernel"


def preload(modules: tuple[str, ...] = PRELOAD_MODULES) -> dict[str, float]:
    """Import ``modules`` in order; return the wall seconds each import took.

    Parameters
    ----------
    modules : tuple of str
        Module names (default :data:`PRELOAD_MODULES`).

    Returns
    -------
    dict
        Module name -> seconds (0 for a module already imported).

    Examples
    --------
    >>> preload(("json",))["json"] < 1.0
    True
    """
    seconds = {}
    for name in modules:
        start = time.perf_counter()
        importlib.import_module(name)
        seconds[name] = time.perf_counter() - start
    return seconds


def load_ipython_extension(ipython: Any) -> None:
    """IPython's hook: kernels started from this one get the standard kernel; preload.

    Parameters
    ----------
    ipython : IPython.core.interactiveshell.InteractiveShell
        The kernel's shell (unused: the imports go to ``sys.modules``, nothing to the
        student's namespace).
    """
    directory = os.environ.pop(DIRECTORY_VARIABLE, None)
    if directory and "JUPYTER_PATH" in os.environ:
        rest = [p for p in os.environ["JUPYTER_PATH"].split(os.pathsep)
                if p and os.path.normpath(p) != os.path.normpath(directory)]
        if rest:
            os.environ["JUPYTER_PATH"] = os.pathsep.join(rest)
        else:
            del os.environ["JUPYTER_PATH"]
    preload()


def kernel_spec(python: str | os.PathLike[str] | None = None,
                data_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Return the lab kernel's spec: ipykernel's standard one, loading this extension.

    Parameters
    ----------
    python : path-like, optional
        The kernel's interpreter (default: this one).
    data_dir : path-like, optional
        The Jupyter data directory the spec is written to (given to the kernel in
        :data:`DIRECTORY_VARIABLE`, so that the kernels it starts get the standard kernel).

    Returns
    -------
    dict
        The content of ``kernel.json``.

    Examples
    --------
    >>> kernel_spec("/opt/py/bin/python")["language"]
    'python'
    """
    from ipykernel.kernelspec import get_kernel_dict

    spec = get_kernel_dict(extra_arguments=[_EXTENSION_ARGUMENT])
    spec["argv"][0] = os.fspath(python) if python is not None else sys.executable
    if data_dir is not None:
        spec["env"] = {DIRECTORY_VARIABLE: os.path.abspath(data_dir)}
    return spec


def install(data_dir: str | os.PathLike[str], python: str | os.PathLike[str] | None = None
            ) -> Path:
    """Write the lab kernel's spec into the Jupyter data directory ``data_dir``.

    ``data_dir`` then goes first on ``JUPYTER_PATH`` of the server, whose kernels named
    ``python3`` become this one. The logos are ipykernel's. Writing again replaces it.

    Parameters
    ----------
    data_dir : path-like
        A Jupyter data directory (the spec goes to ``kernels/python3`` inside).
    python : path-like, optional
        The kernel's interpreter (default: this one).

    Returns
    -------
    pathlib.Path
        The kernel spec's directory.

    Examples
    --------
    >>> import json, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     spec = json.loads((install(tmp) / "kernel.json").read_text())
    >>> spec["argv"][-1].endswith("lab_kernel")
    True
    """
    import json
    import shutil
    import tempfile

    from ipykernel.kernelspec import write_kernel_spec

    target = Path(data_dir) / "kernels" / KERNEL_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        made = Path(write_kernel_spec(Path(tmp) / "spec",
                                      extra_arguments=[_EXTENSION_ARGUMENT]))
        (made / "kernel.json").write_text(json.dumps(kernel_spec(python, data_dir), indent=1))
        shutil.rmtree(target, ignore_errors=True)
        made.rename(target)
    return target


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m dynsim.widgets.lab_kernel DATA_DIR`` writes the spec there."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", help="Jupyter data directory (put it first on JUPYTER_PATH)")
    parser.add_argument("--python", help="the kernel's interpreter (default: this one)")
    args = parser.parse_args(argv)
    install(args.data_dir, args.python)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
