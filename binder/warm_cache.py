#!/usr/bin/env python3
"""Compile every model the exercises run, so that a student's first simulation starts at once.

``binder/postBuild`` runs this once when the Binder image is built. It executes every solution
notebook (``exercises/solutions/*.ipynb``) with papermill and short parameters, with the
interpreter that the image's kernels use and the engines a student gets by default
(``$DYNSIM_ENGINE`` unset): Brian2's Cython cache and the benches' standalone projects
(dynsim's cache directory, ``~/.cache/dynsim`` in the image) end up holding every compiled
model. Brian2's cache key includes ``sys.executable``: run it with the ``python`` that starts
the kernels. The benches' simulated time is fixed in each notebook (not ``duration``), so
their standalone projects are the very ones a student's bench uses.

The parameters are injected papermill-style after the cell tagged ``parameters``; each exercise
notebook has that cell with these names:

``duration``
    simulated time in seconds (float); short here, since compiled code does not depend on it;
``seed``
    the random seed (int).

``engine`` keeps the notebook's default (``'auto'``: Cython where a compiler works).
``--only PATTERN`` (or ``$DYNSIM_WARM_ONLY``) warms the notebooks whose names match a glob
pattern: the test of the emulated image warms exercise 1 only, to keep CI short.

Executed copies go to a temporary directory, never next to the notebooks. Progress is printed
per notebook; if any notebook fails, the others still run and the exit status is 1.

    python binder/warm_cache.py                 # what postBuild runs
    python binder/warm_cache.py --duration 0.2  # longer runs
    python binder/warm_cache.py --only '01_*'   # exercise 1 only
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "exercises" / "solutions"
#: papermill parameters of a warm-up run (see the module docstring).
PARAMETERS = {"duration": 0.05, "seed": 1}
#: Environment variable: glob pattern of the notebooks to warm (default: all).
ONLY_ENV = "DYNSIM_WARM_ONLY"


def _say(msg: str) -> None:
    print(f"[warm_cache] {msg}", flush=True)


def compiled_modules() -> set[str]:
    """Names of the compiled extension modules in dynsim's Cython cache."""
    from dynsim._paths import cython_cache_dir

    folder = cython_cache_dir()
    return {p.name for p in folder.rglob("*") if p.suffix in (".so", ".pyd")}


def solution_notebooks(folder: Path = SOLUTIONS, only: str = "*.ipynb") -> list[Path]:
    """Return the solution notebooks to execute, in name order (none if no such folder).

    ``only`` is a glob pattern of the names to take (``'01_*'``: exercise 1).
    """
    return sorted(p for p in folder.glob("*.ipynb")
                  if not p.name.startswith(".") and p.match(only))


def warm(notebooks: list[Path], parameters: dict, timeout: int) -> int:
    """Execute ``notebooks`` with papermill; return the number that failed."""
    import papermill

    failures = 0
    with tempfile.TemporaryDirectory(prefix="dynsim-warm-") as out:
        for number, notebook in enumerate(notebooks, 1):
            before = compiled_modules()
            start = time.perf_counter()
            _say(f"{number}/{len(notebooks)} {notebook.name} ...")
            try:
                papermill.execute_notebook(
                    str(notebook), str(Path(out) / notebook.name), parameters=parameters,
                    cwd=str(notebook.parent), progress_bar=False, execution_timeout=timeout,
                )
            except Exception as exc:  # report every notebook, then fail
                failures += 1
                _say(f"{number}/{len(notebooks)} {notebook.name} FAILED after "
                     f"{time.perf_counter() - start:.1f} s: {type(exc).__name__}: {exc}")
                continue
            new = len(compiled_modules() - before)
            _say(f"{number}/{len(notebooks)} {notebook.name} ok in "
                 f"{time.perf_counter() - start:.1f} s ({new} newly compiled modules)")
    return failures


def main(argv: list[str] | None = None) -> int:
    """Warm the cache; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS,
                        help="folder of the notebooks to execute")
    parser.add_argument("--duration", type=float, default=PARAMETERS["duration"])
    parser.add_argument("--seed", type=int, default=PARAMETERS["seed"])
    parser.add_argument("--only", default=os.environ.get(ONLY_ENV, "*.ipynb"),
                        help="glob pattern of the notebooks to warm (default: all)")
    parser.add_argument("--timeout", type=int, default=1800,
                        help="seconds allowed per cell")
    args = parser.parse_args(argv)
    parameters = {"duration": args.duration, "seed": args.seed}
    # the engines a student's kernel picks: the kernels papermill starts inherit this
    os.environ.pop("DYNSIM_ENGINE", None)
    notebooks = solution_notebooks(args.solutions, args.only)
    _say(f"interpreter {sys.executable} (part of Brian2's cache key)")
    if not notebooks:
        _say(f"no solution notebooks matching {args.only!r} in {args.solutions}: nothing to warm")
        return 0
    from dynsim._paths import cython_cache_dir

    _say(f"executing {len(notebooks)} solution notebooks with {parameters}; "
         f"cache {cython_cache_dir()}")
    start = time.perf_counter()
    failures = warm(notebooks, parameters, args.timeout)
    total = len(compiled_modules())
    _say(f"done in {time.perf_counter() - start:.1f} s: {total} compiled modules in the cache, "
         f"{failures} notebook(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
