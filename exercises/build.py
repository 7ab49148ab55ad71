#!/usr/bin/env python3
"""Build the student and solution notebooks from their one source.

Each exercise has ONE source notebook in ``exercises/source/``. Its cells carry tags:

``solution``
    a cell of the worked answer: kept in the solution copy, removed from the student copy;
``student``
    the stub the student fills in (same names as the solution cell right after it): kept in the
    student copy, removed from the solution copy;
``parameters``
    the papermill parameters cell (``duration``, ``seed``, ``engine``).

Every other cell is in both copies. A markdown cell may also hold **answers** to its Think!
questions, each a region between the lines ``### BEGIN ANSWER`` and ``### END ANSWER`` (indented
like the text around it): the student copy leaves the region out, the solution copy keeps its
text without the two marker lines, and the nbgrader source makes the cell a locked task cell
(no points) whose answers are ``### BEGIN MARK SCHEME`` regions, which ``nbgrader
generate_assignment`` removes. This script writes

* ``exercises/NN_name.ipynb``: the student copy, without outputs;
* ``exercises/solutions/NN_name.ipynb``: the solution copy, executed (``--execute``) with the
  default parameters, keeping only small text outputs (no inline BokehJS, no widget state), so
  ``pytest --nbval-lax`` can compare the cells marked ``# NBVAL_CHECK_OUTPUT``;
* ``exercises/course/source/NN_name/NN_name.ipynb``: the nbgrader source of the course
  (``python3 tasks.py course ...``): each stub and its solution become ONE cell with a
  ``### BEGIN SOLUTION`` region, each self-check after them a locked, graded test cell (one
  point; in grading mode, ``DYNSIM_GRADING=1``, a NOT YET raises an AssertionError carrying its
  hint) with hidden tests (``### BEGIN HIDDEN TESTS``) where :data:`HIDDEN_TESTS` has them.

Usage::

    python3 tasks.py exercises             # build both copies and execute the solutions
    python exercises/build.py --check      # exit 1 if a committed copy is out of date
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
SOURCE_DIR = HERE / "source"
SOLUTION_DIR = HERE / "solutions"
COURSE_SOURCE_DIR = HERE / "course" / "source"
STUDENT_TAG, SOLUTION_TAG, PARAMETERS_TAG = "student", "solution", "parameters"
#: the lines around an instructor's answer in a markdown cell (a Think! question's answer)
BEGIN_ANSWER, END_ANSWER = "### BEGIN ANSWER", "### END ANSWER"
#: minutes a new user needs for each notebook (measured walks took 70-100 minutes): the one
#: source of the time estimates in the notebook headers, their parts tables and exercises/index
MINUTES = {"01": 100, "02": 100, "03": 90, "04": 90, "05": 100, "06": 90, "07": 70}
INDEX = HERE / "index.ipynb"
#: stored outputs larger than this (characters) are dropped from the solution copies
MAX_OUTPUT_CHARS = 4000
#: output types a stored solution keeps (small text; no JavaScript, BokehJS, widget state, images)
KEPT_MIME = ("text/plain", "text/html", "text/markdown")


def tags(cell: nbformat.NotebookNode) -> list[str]:
    """Return the tags of a cell."""
    return list(cell.get("metadata", {}).get("tags", []))


def sources() -> list[Path]:
    """Return the source notebooks, in course order."""
    return sorted(SOURCE_DIR.glob("[0-9][0-9]_*.ipynb"))


def _strip_cell_metadata(cell: nbformat.NotebookNode) -> None:
    for key in ("execution", "papermill", "collapsed", "scrolled"):
        cell.metadata.pop(key, None)


def answer_parts(text: str) -> list[tuple[bool, str]]:
    """Split a markdown text into (is_answer, text) parts at its answer regions.

    Raises
    ------
    ValueError
        If a ``### BEGIN ANSWER`` has no ``### END ANSWER`` after it, or regions nest.
    """
    parts, current, inside = [], [], False
    for line in text.split("\n"):
        marker = line.strip()
        if marker in (BEGIN_ANSWER, END_ANSWER):
            if (marker == BEGIN_ANSWER) == inside:
                raise ValueError(f"unbalanced {marker!r} in: {text[:60]!r}")
            parts.append((inside, "\n".join(current)))
            current, inside = [], not inside
        else:
            current.append(line)
    if inside:
        raise ValueError(f"{BEGIN_ANSWER!r} without {END_ANSWER!r} in: {text[:60]!r}")
    parts.append((False, "\n".join(current)))
    return [(answer, part) for answer, part in parts if part.strip() or answer]


def _markdown_answers(cell: nbformat.NotebookNode, keep: bool) -> None:
    """Keep (solution copy) or drop (student copy) the answer regions of a markdown cell."""
    if cell.cell_type == "markdown" and BEGIN_ANSWER in cell.source:
        cell.source = "\n".join(part for answer, part in answer_parts(cell.source)
                                if keep or not answer)


def _copy_without(nb: nbformat.NotebookNode, tag: str) -> nbformat.NotebookNode:
    """Return ``nb`` without the cells tagged ``tag``, without outputs and execution counts.

    Without the student stubs (``tag`` is ``student``) it is the solution copy, which keeps the
    answers of markdown cells; otherwise they are left out.
    """
    out = copy.deepcopy(nb)
    out.cells = [c for c in out.cells if tag not in tags(c)]
    for cell in out.cells:
        _strip_cell_metadata(cell)
        _markdown_answers(cell, keep=tag == STUDENT_TAG)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    out.metadata.pop("papermill", None)
    out.metadata.pop("widgets", None)
    return out


def student_copy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return the student copy: solution cells removed, no outputs, no execution counts."""
    return _copy_without(nb, SOLUTION_TAG)


def solution_copy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return the solution copy (not executed): student stubs removed."""
    return _copy_without(nb, STUDENT_TAG)


def lean_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Keep only small text outputs of an executed notebook (stored notebooks stay small)."""
    out = copy.deepcopy(nb)
    for cell in out.cells:
        _strip_cell_metadata(cell)
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                if len(output.text) <= MAX_OUTPUT_CHARS:
                    kept.append(output)
            elif output.output_type in ("execute_result", "display_data"):
                data = {k: v for k, v in output.data.items() if k in KEPT_MIME}
                if data and sum(len(str(v)) for v in data.values()) <= MAX_OUTPUT_CHARS:
                    output.data = data
                    output.metadata = {}
                    kept.append(output)
            elif output.output_type == "error":
                kept.append(output)
        cell.outputs = kept
    out.metadata.pop("papermill", None)
    out.metadata.pop("widgets", None)
    return out


# --------------------------------------------------------------------------- nbgrader course
#: the environment variable that switches the graded checks to raising (``tasks.py course``)
GRADING_VARIABLE = "DYNSIM_GRADING"
#: hidden tests: (notebook prefix, check function) -> the same check with other numbers, so a
#: hard-coded answer fails; ``{check}`` is the check function's name
HIDDEN_TESTS = {
    ("01", "check_dpi_time_constant"):
        "{check}(answer_from(dpi_tau, 3 * itau_ampa, 2 * physics.C_SYN), itau=3 * itau_ampa,\n"
        "        capacitance=2 * physics.C_SYN)",
    ("01", "check_epsc_jump"):
        "{check}(answer_from(epsc_jump, 5, 2 * ith, itau, iw), 5, 2 * ith, itau, iw)",
    ("01", "check_ampa_design"):  # the same design, another event time and a finer time step
        "{check}(my_ampa_design, event_time=23 * ms, dt=0.05 * ms, engine=engine)",
    ("02", "check_saturation_rate"):
        "{check}(answer_from(saturation_rate, (0, 85)), (0, 85), units=True)",
    ("02", "check_ampa_rate_design"):
        "{check}(ampa_design, rate=100 * Hz, band=(40 * Hz, 60 * Hz), seed=seed + 1000,\n"
        "        duration=300 * ms)",
    ("03", "check_adaptation_design"):
        "{check}(ahp_design, dc=1.1 * nA, min_first_rate=70 * Hz, ratio=(0.3, 0.5),\n"
        "        tau_range=(40 * ms, 60 * ms), duration=300 * ms)",
    ("04", "check_wta_design"):
        "{check}(wta_weights, wta_biases, input_rates=(60.0, 50.0, 100.0, 40.0), seed=7,\n"
        "        engine=engine)",
    ("05", "check_decay_register"):
        "{check}(answer_from(decay_register, 37.0), tau=37.0)",
    ("05", "check_weight_encoding"):
        "{check}(encode_weight, scale=2**8)",
    ("05", "check_quantized_network"):
        "{check}(my_design, design_model, design_weights, *design_input(seed + 1), DESIGN_STEPS,\n"
        "        engine=engine)",
    ("06", "check_stdp_prediction"):
        "{check}(answer_from(predicted_dw, DELTAS, 2**-3, 2**-1, 32, 8), DELTAS,\n"
        "        a_plus=2**-3, a_minus=2**-1, imp=32, tau=8)",
    ("06", "check_stdp_design"):
        "{check}(my_stdp, delta=5, n_pairings=8, rise_per_pairing=(2, 4),\n"
        "        fall_per_pairing=(1, 3), seed=seed + 1, engine=engine)",
    ("07", "check_mismatch_design"):
        "{check}(mc_biases, n_chips=30, first_chip=first_chip + 5000, engine=engine)",
}


def _nbgrader(cell: nbformat.NotebookNode, grade_id: str, *, solution: bool = False,
              grade: bool = False, points: int = 0) -> nbformat.NotebookNode:
    cell.metadata["nbgrader"] = {"grade": grade, "grade_id": grade_id, "locked": not solution,
                                 "schema_version": 3, "solution": solution,
                                 **({"points": points} if grade else {})}
    return cell


def merged_answer_cell(student: str, solution: str) -> str:
    """Return ONE nbgrader answer cell: the stub with the solution as a solution region.

    A function stub keeps its ``def`` line, docstring and hints; the solution's body is inserted
    before the stub's ``raise`` (the solution returns before it). A variable stub keeps its
    ``name = ...`` line, and the solution follows it. nbgrader replaces the region by
    ``# YOUR CODE HERE`` (the course's ``ClearSolutions.code_stub``), so the released cell is
    the student copy's stub again.
    """
    stub_lines, solution_lines = student.splitlines(), solution.splitlines()
    if stub_lines and stub_lines[0].startswith("def "):
        common = 0
        while (common < min(len(stub_lines), len(solution_lines))
               and stub_lines[common] == solution_lines[common]):
            common += 1
        raise_at = next(i for i, line in enumerate(stub_lines) if "raise NotImplementedError" in line)
        indent = stub_lines[raise_at][:len(stub_lines[raise_at]) - len(stub_lines[raise_at].lstrip())]
        region = [indent + "### BEGIN SOLUTION", *solution_lines[common:], indent + "### END SOLUTION"]
        return "\n".join(stub_lines[:raise_at] + region + stub_lines[raise_at:])
    return "\n".join([*stub_lines, "### BEGIN SOLUTION", *solution_lines, "### END SOLUTION"])


def graded_check_cell(source: str, prefix: str) -> str:
    """Return a self-check cell as an nbgrader test: a NOT YET raises in grading mode."""
    lines = source.splitlines()
    tree = ast.parse(source)
    last = tree.body[-1]
    head, call = lines[:last.lineno - 1], lines[last.lineno - 1:]
    check = last.value.func.id if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) \
        and isinstance(last.value.func, ast.Name) else None
    raising = ("if not {name} and os.environ.get(\"" + GRADING_VARIABLE + "\"):  "
               "# autograding: NOT YET scores no points\n    raise AssertionError(str({name}))")
    out = [*head, "import os", "", "result = " + call[0], *call[1:],
           raising.format(name="result")]
    hidden = HIDDEN_TESTS.get((prefix, check))
    if hidden:
        out += ["### BEGIN HIDDEN TESTS", "hidden = " + hidden.format(check=check),
                raising.format(name="hidden"), "### END HIDDEN TESTS"]
    return "\n".join([*out, "result"])


def course_source(nb: nbformat.NotebookNode, prefix: str) -> nbformat.NotebookNode:
    """Return the nbgrader source notebook of one exercise notebook (no outputs).

    Solution cells without a stub (instructor answers in markdown) are left out: the solution
    copies keep them.
    """
    out = copy.deepcopy(nb)
    cells, after_answer = [], False
    for index, cell in enumerate(out.cells):
        _strip_cell_metadata(cell)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        kind = tags(cell)
        if SOLUTION_TAG in kind:
            continue
        if STUDENT_TAG in kind:
            cell.source = merged_answer_cell(cell.source, out.cells[index + 1].source)
            cells.append(_nbgrader(cell, f"answer-{cell.id}", solution=True))
            after_answer = True
            continue
        if cell.cell_type == "markdown" and BEGIN_ANSWER in cell.source:
            cells.append(course_task_cell(cell))
        elif after_answer and cell.cell_type == "code" and "check_" in cell.source:
            cell.source = graded_check_cell(cell.source, prefix)
            cells.append(_nbgrader(cell, f"check-{cell.id}", grade=True, points=1))
        else:
            cells.append(cell)
        after_answer = False
    out.cells = cells
    out.metadata.pop("papermill", None)
    out.metadata.pop("widgets", None)
    return out


def course_task_cell(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a markdown cell with answers as a locked nbgrader task cell with a mark scheme.

    Each answer region becomes a ``### BEGIN MARK SCHEME`` region: ``nbgrader
    generate_assignment`` removes it (``ClearMarkScheme``), the instructor's source and the
    formgrader keep it. The task is worth no points: Think! questions are not graded.
    """
    lines = []
    for line in cell.source.split("\n"):
        marker = line.strip()
        indent = line[:len(line) - len(line.lstrip())]
        if marker == BEGIN_ANSWER:
            lines.append(indent + "### BEGIN MARK SCHEME")
        elif marker == END_ANSWER:
            lines.append(indent + "### END MARK SCHEME")
        else:
            lines.append(line)
    answer_parts(cell.source)  # validates the regions
    cell.source = "\n".join(lines)
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": f"think-{cell.id}", "locked": True,
                                 "points": 0, "schema_version": 3, "solution": False,
                                 "task": True}
    return cell


def course_path(path: Path) -> Path:
    """Return where the nbgrader source of an exercise notebook goes."""
    return COURSE_SOURCE_DIR / path.stem / path.name


def signature(code: str) -> dict[str, object]:
    """Return the names a code cell defines: functions with their arguments, and variables.

    The student stub and its solution must define the same names with the same function
    signatures, so the self-check that follows them works with either.
    """
    tree = ast.parse(code)
    functions, variables = {}, set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            args = node.args
            functions[node.name] = tuple(a.arg for a in args.posonlyargs + args.args
                                         + args.kwonlyargs)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        variables.add(name.id)
    return {"functions": functions, "variables": sorted(variables)}


def exercise_pairs(nb: nbformat.NotebookNode) -> list[tuple[int, str, str]]:
    """Return (cell index, student code, solution code) for every stub and its solution.

    A ``student`` cell must be followed directly by its ``solution`` cell.

    Raises
    ------
    ValueError
        If a student cell has no solution cell after it.
    """
    pairs = []
    for i, cell in enumerate(nb.cells):
        if STUDENT_TAG in tags(cell):
            nxt = nb.cells[i + 1] if i + 1 < len(nb.cells) else None
            if nxt is None or SOLUTION_TAG not in tags(nxt):
                raise ValueError(f"cell {i} is a student stub without a solution cell after it")
            pairs.append((i, cell.source, nxt.source))
    return pairs


def _comparable(nb: nbformat.NotebookNode) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.cell_type, c.source, tuple(sorted(tags(c)))) for c in nb.cells]


def _course_comparable(nb: nbformat.NotebookNode) -> list[tuple[str, str, str]]:
    return [(c.cell_type, c.source, repr(sorted(c.metadata.get("nbgrader", {}).items())))
            for c in nb.cells]


#: Seconds nbclient waits for a cell's last output after the kernel replied (its default, 4 s,
#: is too short on a loaded 2-core machine: a bench's first draw can come later than that).
IOPUB_TIMEOUT = 60


def execute(nb: nbformat.NotebookNode, parameters: dict | None = None,
            timeout: int = 900) -> tuple[nbformat.NotebookNode, float]:
    """Execute a notebook with papermill in a scratch directory; return it and the seconds."""
    import papermill

    with tempfile.TemporaryDirectory(prefix="dynsim-nb-") as tmp:
        src, dst = Path(tmp) / "in.ipynb", Path(tmp) / "out.ipynb"
        nbformat.write(nb, src)
        start = time.perf_counter()
        papermill.execute_notebook(str(src), str(dst), parameters=parameters or {},
                                   cwd=tmp, kernel_name="python3", progress_bar=False,
                                   execution_timeout=timeout, iopub_timeout=IOPUB_TIMEOUT)
        seconds = time.perf_counter() - start
        return nbformat.read(dst, as_version=4), seconds


def build(execute_solutions: bool, names: list[str]) -> int:
    """Write the student and solution copies; return a process exit code."""
    SOLUTION_DIR.mkdir(exist_ok=True)
    for path in sources():
        if names and not any(n in path.name for n in names):
            continue
        nb = nbformat.read(path, as_version=4)
        exercise_pairs(nb)  # validates the pairing
        nbformat.write(student_copy(nb), HERE / path.name)
        solution = solution_copy(nb)
        if execute_solutions:
            print(f"executing {path.name} ...", flush=True)
            executed, seconds = execute(solution)
            solution = lean_outputs(executed)
            print(f"  {seconds:.1f} s", flush=True)
        else:
            old = SOLUTION_DIR / path.name
            if old.exists():  # keep the stored outputs of cells whose source is unchanged
                stored = {c.source: c for c in nbformat.read(old, as_version=4).cells}
                for cell in solution.cells:
                    if cell.cell_type == "code" and cell.source in stored:
                        cell.outputs = stored[cell.source].get("outputs", [])
                        cell.execution_count = stored[cell.source].get("execution_count")
        nbformat.write(solution, SOLUTION_DIR / path.name)
        course_path(path).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(course_source(nb, path.name[:2]), course_path(path))
        print(f"built {path.name}: student copy, solution copy, nbgrader source")
    return 0


def course_hours() -> int:
    """Return the whole course's time (all notebooks, :data:`MINUTES`) in whole hours."""
    return round(sum(MINUTES.values()) / 60)


def header_minutes(nb: nbformat.NotebookNode) -> tuple[int | None, list[int]]:
    """Return the ``**Time:** about N minutes`` of a notebook's first cell and its parts' minutes."""
    intro = nb.cells[0].source
    header = re.search(r"\*\*Time:\*\* about (\d+) minutes", intro)
    parts = [int(m) for m in re.findall(r"^\|\s*\d+\s*\|.*\|\s*(\d+) min\s*\|\s*$", intro, re.M)]
    return (int(header.group(1)) if header else None), parts


def time_problems() -> list[str]:
    """Return where a time estimate disagrees with :data:`MINUTES` (headers, parts, index)."""
    problems = []
    for path in sources():
        wanted = MINUTES.get(path.name[:2])
        header, parts = header_minutes(nbformat.read(path, as_version=4))
        if wanted is None or header != wanted:
            problems.append(f"{path.name}: the header says {header} minutes, MINUTES {wanted}")
        if parts and sum(parts) > (wanted or 0):
            problems.append(f"{path.name}: its parts add up to {sum(parts)} > {wanted} minutes")
    index = "\n".join(c.source for c in nbformat.read(INDEX, as_version=4).cells)
    for prefix, minutes in MINUTES.items():
        row = re.search(rf"^\| {int(prefix)} \|.*\| (\d+) min \|", index, re.M)
        if row is None or int(row.group(1)) != minutes:
            problems.append(f"index.ipynb: notebook {prefix} is not listed with {minutes} min")
    if f"about {course_hours()} hours" not in index:
        problems.append(f"index.ipynb: the course should take 'about {course_hours()} hours'")
    return problems


def check() -> list[str]:
    """Return the problems that make the committed copies differ from their sources, and the
    time estimates that disagree with :data:`MINUTES`."""
    problems = time_problems()
    for path in sources():
        nb = nbformat.read(path, as_version=4)
        student_file, solution_file = HERE / path.name, SOLUTION_DIR / path.name
        if not student_file.exists() or not solution_file.exists():
            problems.append(f"{path.name}: a built copy is missing (run python3 tasks.py "
                            "exercises)")
            continue
        if _comparable(student_copy(nb)) != _comparable(nbformat.read(student_file, 4)):
            problems.append(f"{path.name}: the student copy is out of date")
        if _comparable(solution_copy(nb)) != _comparable(nbformat.read(solution_file, 4)):
            problems.append(f"{path.name}: the solution copy is out of date")
        course_file = course_path(path)
        if not course_file.exists() or _course_comparable(course_source(nb, path.name[:2])) \
                != _course_comparable(nbformat.read(course_file, 4)):
            problems.append(f"{path.name}: the nbgrader course source is missing or out of date")
    return problems


def main(argv: list[str]) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the copies are current")
    parser.add_argument("--no-execute", action="store_true",
                        help="do not execute the solutions (keep stored outputs of unchanged "
                             "cells)")
    parser.add_argument("names", nargs="*", help="build only sources whose name contains these")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for p in problems:
            print(p)
        return 1 if problems else 0
    return build(not args.no_execute, args.names)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
