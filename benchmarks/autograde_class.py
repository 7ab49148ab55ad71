"""Time to autograde a class: N submissions of one assignment with real nbgrader.

A temporary course directory gets the committed ``exercises/course/nbgrader_config.py`` and
one assignment's nbgrader source; N students submit the answered notebook (every solution
region filled in); ``tasks.py course``'s steps collect and autograde them (nbgrader grades
one submission after the other, one kernel each). The machine's load (``uptime``) is printed
with the result, since other processes share the cores.

    python benchmarks/autograde_class.py                       # 30 students, notebook 5
    python benchmarks/autograde_class.py --students 3 --short  # short Binder parameters
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    """Command line entry point; prints one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--assignment", default="05_loihi_fixed_point")
    parser.add_argument("--short", action="store_true", help="the short Binder parameters")
    args = parser.parse_args(argv)
    if not 1 <= args.students <= 500:
        parser.error("--students must be between 1 and 500")
    tasks = _load("dynsim_tasks", ROOT / "tasks.py")
    with tempfile.TemporaryDirectory(prefix="dynsim-grade-") as tmp:
        root = Path(tmp) / "course"
        (root / "source").mkdir(parents=True)
        shutil.copy2(tasks.COURSE / "nbgrader_config.py", root)
        shutil.copytree(tasks.COURSE / "source" / args.assignment,
                        root / "source" / args.assignment)
        notebook = root / "source" / args.assignment / f"{args.assignment}.ipynb"
        nb = nbformat.read(notebook, 4)
        if args.short:
            warm = _load("warm_cache", ROOT / "binder" / "warm_cache.py")
            cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
            cell.source = "\n".join(f"{k} = {v!r}" for k, v in warm.PARAMETERS.items())
            nbformat.write(nb, notebook)
        env = tasks.child_env(Path(sys.executable))
        assert tasks.run_course("generate", root, [], sys.executable, env) == 0
        for cell in nb.cells:  # the answered notebook
            if cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = "\n".join(line for line in cell.source.splitlines()
                                        if "SOLUTION" not in line)
        inbox = Path(tmp) / "inbox"
        for k in range(args.students):
            (inbox / f"student{k:03d}" / args.assignment).mkdir(parents=True)
            nbformat.write(nb, inbox / f"student{k:03d}" / args.assignment / notebook.name)
        assert tasks.run_course("collect", root, [str(inbox)], sys.executable, env) == 0
        start = time.perf_counter()
        assert tasks.run_course("autograde", root, [], sys.executable, env) == 0
        seconds = time.perf_counter() - start
        uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        print(json.dumps({"assignment": args.assignment, "students": args.students,
                          "short_parameters": args.short, "cores": os.cpu_count(),
                          "autograde_seconds": round(seconds, 1),
                          "seconds_per_submission": round(seconds / args.students, 1),
                          "uptime": uptime}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
