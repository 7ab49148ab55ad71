"""The course notebooks: one source, two variants, the anatomy of a lesson, a time budget.

Every notebook of ``exercises/source`` (DYNAP-SE and Loihi alike) is checked for

* (a) built copies that match their source (``exercises/build.py --check``);
* (b) student stubs that define the same names and signatures as their solutions (and a
  drift detector that really catches a renamed stub);
* (c) the anatomy of a lesson: goals and time, a ``parameters`` cell (duration, seed, engine),
  theory with an equation, exercises each followed by its self-check, a bench, think
  questions, a summary; nbval markers alone on their line;
* (d) papermill running every solution notebook with short parameters (the Binder warm-up
  parameters on the numpy engine), with the time of each notebook printed;
* (e) small committed notebooks: no outputs in student copies, small text outputs only in the
  solution copies;
* that nbval really fails when a stored number changes.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from support import load_script

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"
NBVAL_MARKERS = ("# NBVAL_CHECK_OUTPUT", "# NBVAL_IGNORE_OUTPUT", "# NBVAL_SKIP",
                 "# NBVAL_RAISES_EXCEPTION")
#: largest committed solution notebook (bytes)
MAX_SOLUTION_BYTES = 100_000


build = load_script("exercise_build", EXERCISES / "build.py")
SOURCES = build.sources()
IDS = [p.stem for p in SOURCES]


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def tags(cell) -> list[str]:
    return build.tags(cell)


def is_check_cell(cell) -> bool:
    return cell.cell_type == "code" and cell.source.startswith(CHECK_MARKER + "\n") \
        and "check_" in cell.source


def pair_problems(nb) -> list[str]:
    """Differences between each student stub and its solution (names, signatures, stubs)."""
    problems = []
    for index, student, solution in build.exercise_pairs(nb):
        try:
            mine, theirs = build.signature(student), build.signature(solution)
        except SyntaxError as err:
            problems.append(f"cell {index}: does not parse: {err}")
            continue
        if mine != theirs:
            problems.append(f"cell {index}: the stub defines {mine}, its solution {theirs}")
        if "NotImplementedError" not in student and not re.search(r"=\s*\.\.\.", student):
            problems.append(f"cell {index}: a stub must raise NotImplementedError or assign ...")
    return problems


def say(config, line: str) -> None:
    """Print a line on the terminal now, even while pytest captures the test's output."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:  # pragma: no cover - pytest without a terminal
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(line)


@pytest.fixture(scope="module")
def timings(request):
    """Collect papermill times and print them (visible without -s) when the module ends."""
    times: dict[str, float] = {}
    yield times
    if times:
        say(request.config, f"[exercises] papermill, short parameters: {len(times)} notebooks "
            f"in {sum(times.values()):.1f} s ("
            + ", ".join(f"{name[:2]} {seconds:.1f} s" for name, seconds in times.items()) + ")")


def test_sources_exist():
    names = [p.name for p in SOURCES]
    for wanted in ("01_dpi_neuron_and_synapses.ipynb", "02_characterizing_silicon_neurons.ipynb",
                   "03_spike_frequency_adaptation.ipynb", "04_network_on_chip.ipynb"):
        assert wanted in names


# --------------------------------------------------------------------------- (a) built copies
def test_built_copies_are_up_to_date():
    assert build.check() == [], "run: python3 tasks.py exercises (or exercises/build.py)"


# --------------------------------------------------------------------------- (b) stubs
@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_stubs_match_their_solutions(path):
    nb = read(path)
    assert build.exercise_pairs(nb), "a notebook needs at least one student/solution pair"
    assert pair_problems(nb) == []


def _first_pair(kind: str):
    for path in SOURCES:
        nb = read(path)
        for index, student, _ in build.exercise_pairs(nb):
            tree = ast.parse(student)
            if kind == "function" and isinstance(tree.body[0], ast.FunctionDef):
                return nb, index, tree.body[0]
            if kind == "variable" and isinstance(tree.body[0], ast.Assign):
                return nb, index, tree.body[0]
    pytest.skip(f"no {kind} stub")


def test_drift_detector_catches_a_renamed_function_stub():
    nb, index, function = _first_pair("function")
    cell = nb.cells[index]
    original = cell.source
    cell.source = original.replace(f"def {function.name}(", f"def {function.name}_v2(", 1)
    assert any(function.name in p for p in pair_problems(nb))
    first_arg = function.args.args[0].arg
    cell.source = re.sub(rf"\b{first_arg}\b", f"{first_arg}_renamed", original, count=1)
    assert pair_problems(nb), "a renamed argument must be caught"
    cell.source = original
    assert pair_problems(nb) == []


def test_drift_detector_catches_a_renamed_variable_and_a_lost_solution():
    nb, index, assign = _first_pair("variable")
    name = assign.targets[0].id
    nb.cells[index].source = nb.cells[index].source.replace(name, f"{name}_old", 1)
    assert any(name in p for p in pair_problems(nb))
    del nb.cells[index + 1]  # the solution cell after the stub is gone
    with pytest.raises(ValueError, match="without a solution"):
        build.exercise_pairs(nb)


# --------------------------------------------------------------------------- (c) anatomy
def _parameters(nb) -> dict[str, object]:
    cells = [c for c in nb.cells if "parameters" in tags(c)]
    assert len(cells) == 1, "exactly one cell tagged 'parameters'"
    values = {}
    for node in ast.parse(cells[0].source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.literal_eval(node.value)
    return values


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_anatomy_of_a_lesson(path):
    nb = read(path)
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    intro = nb.cells[0]
    assert intro.cell_type == "markdown" and intro.source.startswith("# ")
    assert "Learning goals" in intro.source and re.search(r"\*\*Time:\*\*", intro.source)
    params = _parameters(nb)
    assert isinstance(params.get("duration"), float) and params["duration"] > 0
    assert isinstance(params.get("seed"), int) and not isinstance(params["seed"], bool)
    assert "engine" in params and params["engine"] is None
    assert any("$$" in text for text in markdown), "a theory section with its equation"
    assert any("Think!" in text for text in markdown), "think questions"
    assert any(re.search(r"^## Summary", text, re.M) for text in markdown), "a summary"
    benches = [c for c in nb.cells if c.cell_type == "code" and "dynsim.widgets" in c.source]
    assert benches, "an interactive bench from dynsim.widgets"
    assert any(isinstance(ast.parse(c.source).body[-1], ast.Expr) for c in benches), \
        "the bench is displayed: the last line of its cell is the bench itself"
    pairs = build.exercise_pairs(nb)
    assert pairs
    for index, _, _ in pairs:
        before = [c.source for c in nb.cells[max(0, index - 3):index]
                  if c.cell_type == "markdown"]
        assert any("Exercise" in text for text in before), f"cell {index}: no exercise text"
        after = nb.cells[index + 2] if index + 2 < len(nb.cells) else None
        assert after is not None and is_check_cell(after), \
            f"cell {index}: the solution must be followed by a '{CHECK_MARKER}' self-check"


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_nbval_markers_are_alone_and_checked_cells_show_no_plots(path):
    for index, cell in enumerate(read(path).cells):
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines()
        for number, line in enumerate(lines):
            if "NBVAL_" in line:
                assert number == 0 and line in NBVAL_MARKERS, \
                    f"cell {index}: an nbval marker must be alone on the first line: {line!r}"
        if lines and lines[0] == CHECK_MARKER:
            # a plot's output (BokehJS) in a checked cell makes nbval fail
            assert not re.search(r"(^|[^.\w])show\(", cell.source), \
                f"cell {index}: no plots in a checked cell; plot in the next cell"
            assert not re.search(r"\bDynapseLab\(|\bLoihiLab\(", cell.source), \
                f"cell {index}: no benches in a checked cell"


def test_exercise_1_tags_its_first_simulation():
    first = [p for p in SOURCES if p.name.startswith("01")]
    assert first
    solution = build.solution_copy(read(first[0]))
    tagged = [c for c in solution.cells if "first-simulation" in tags(c)]
    assert len(tagged) == 1 and tagged[0].cell_type == "code"


def test_the_sweep_notebook_is_a_papermill_function_outside_the_tests():
    sweep = EXERCISES / "sweeps" / "fi_point.ipynb"
    nb = read(sweep)
    assert [c for c in nb.cells if "parameters" in tags(c)]
    assert [c for c in nb.cells if "result" in tags(c)]
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert not (EXERCISES / "solutions" / sweep.name).exists()


# --------------------------------------------------------------------------- (e) small
@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_committed_notebooks_are_small_and_student_copies_empty(path):
    student = read(EXERCISES / path.name)
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        assert "solution" not in tags(cell)
    assert not any(c.get("outputs") for c in read(path).cells if c.cell_type == "code"), \
        "the source keeps no outputs"
    solution_file = EXERCISES / "solutions" / path.name
    assert solution_file.stat().st_size < MAX_SOLUTION_BYTES
    solution = read(solution_file)
    for index, cell in enumerate(solution.cells):
        if cell.cell_type != "code":
            continue
        assert "student" not in tags(cell)
        for output in cell.outputs:
            if output.output_type in ("execute_result", "display_data"):
                assert set(output.data) <= set(build.KEPT_MIME), (index, set(output.data))
                size = sum(len(str(v)) for v in output.data.values())
            else:
                size = len(output.get("text", ""))
            assert size <= build.MAX_OUTPUT_CHARS, index
        if is_check_cell(cell):
            assert cell.outputs, f"cell {index}: a checked cell without a stored output"
            text = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                           for o in cell.outputs)
            assert not re.search(r"\d\.\d{9,}", text), \
                f"cell {index}: a full-precision float in a checked output (round it)"
    assert "widgets" not in solution.metadata


# --------------------------------------------------------------------------- (d) papermill
def _short_parameters() -> dict[str, object]:
    warm = load_script("warm_cache", ROOT / "binder" / "warm_cache.py")
    return {**warm.PARAMETERS, "engine": "numpy"}


@pytest.mark.notebooks
@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_solution_runs_with_short_parameters(path, tmp_path, timings, request):
    import papermill

    parameters = _short_parameters()
    start = time.perf_counter()
    papermill.execute_notebook(str(EXERCISES / "solutions" / path.name),
                               str(tmp_path / path.name), parameters=parameters,
                               cwd=str(tmp_path), progress_bar=False, kernel_name="python3",
                               execution_timeout=600, iopub_timeout=build.IOPUB_TIMEOUT)
    seconds = time.perf_counter() - start
    timings[path.name] = seconds
    say(request.config, f"[exercises] {path.name}: {seconds:.1f} s with {parameters}")
    executed = read(tmp_path / path.name)
    for index, cell in enumerate(executed.cells):
        if is_check_cell(cell):  # what nbval compares: text only, no plot or widget output
            for output in cell.outputs:
                data = set(output.get("data", {}))
                assert data <= set(build.KEPT_MIME), (index, data)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name], "files left behind"


# --------------------------------------------------------------------------- nbval can fail
@pytest.mark.notebooks
def test_nbval_fails_when_a_stored_number_changes(tmp_path):
    """Exercise 1 up to its first checked cell, one stored number changed: nbval must fail.

    (The intact notebooks pass: that is the nbval run over ``exercises/solutions``.)
    """
    first = [p for p in SOURCES if p.name.startswith("01")]
    assert first
    nb = read(EXERCISES / "solutions" / first[0].name)
    end = next(i for i, c in enumerate(nb.cells)
               if c.cell_type == "code" and c.source.startswith(CHECK_MARKER + "\n"))
    nb.cells = nb.cells[:end + 1]
    checked = nb.cells[end]
    stream = next(o for o in checked.outputs if o.output_type == "stream")
    number = re.search(r"\d+", stream.text)
    assert number, "the first checked output prints a number"
    stream.text = (stream.text[:number.start()] + str(int(number.group()) + 1)
                   + stream.text[number.end():])
    nbformat.write(nb, tmp_path / "tampered.ipynb")
    env = dict(os.environ, DYNSIM_ENGINE="numpy")
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
         "--nbval-current-env", f"--nbval-sanitize-with={EXERCISES / 'nbval_sanitize.cfg'}",
         "--rootdir", str(tmp_path), "tampered.ipynb"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    report = out.stdout + out.stderr
    assert out.returncode == 1, report[-3000:]
    assert re.search(r"1 failed, \d+ passed", report), report[-3000:]
    assert "Cell outputs differ" in report and "FAILED tampered.ipynb" in report


# --------------------------------------------------------------------------- student copies
def _output_text(cell) -> str:
    return "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                   for o in cell.get("outputs", []))


@pytest.mark.notebooks
@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_untouched_student_copy_runs_to_the_end(path, tmp_path, timings, request):
    """"Run All" on a student copy: no error output; every self-check says NOT YET."""
    import papermill

    parameters = _short_parameters()
    start = time.perf_counter()
    papermill.execute_notebook(str(EXERCISES / path.name), str(tmp_path / path.name),
                               parameters=parameters, cwd=str(tmp_path), progress_bar=False,
                               kernel_name="python3", execution_timeout=600,
                               iopub_timeout=build.IOPUB_TIMEOUT)
    timings[f"{path.name} (student)"] = time.perf_counter() - start
    executed = read(tmp_path / path.name)
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "a cell did not run"
    errors = [(i, o.get("ename")) for i, c in enumerate(executed.cells)
              for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    checks = [c for c in code if is_check_cell(c) and re.search(r"^check_", c.source, re.M)]
    assert checks
    for cell in checks:
        assert "NOT YET" in _output_text(cell), cell.source
        assert "PASS" not in _output_text(cell), cell.source


# --------------------------------------------------------------------------- no answers given away
def _normalized(text: str) -> str:
    """Code without white space and without the ``math.``/``np.`` prefixes."""
    return re.sub(r"\s+|\bmath\.|\bnp\.|\bnumpy\.", "", text)


def solution_fingerprints(nb) -> set[tuple[str, str]]:
    """What would give a solution away: its normalized lines, returned/assigned expressions and
    text constants (each of at least 14 characters and not already in its stub)."""
    found = set()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "solution" not in tags(cell):
            continue
        before = nb.cells[index - 1] if index else None
        stub = before.source if before is not None and "student" in tags(before) else ""
        stub_lines = {_normalized(line.split("#")[0]) for line in stub.splitlines()}
        for line in cell.source.splitlines():
            code = _normalized(line.split("#")[0])
            if len(code) >= 14 and code not in stub_lines and not code.startswith("def"):
                found.add(("line", code))
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Return | ast.Assign) and node.value is not None:
                expression = _normalized(ast.unparse(node.value))
                if len(expression) >= 14 and expression not in stub_lines:
                    found.add(("expression", expression))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and len(node.value) >= 14 and node.value not in stub:
                found.add(("text", _normalized(node.value)))
    return found


def leaks(student, fingerprints) -> list[tuple[str, str]]:
    """The fingerprints of solutions that a student copy contains."""
    text = _normalized("\n".join(c.source for c in student.cells))
    lines = {_normalized(line.split("#")[0]) for c in student.cells
             for line in c.source.splitlines()}
    return sorted((kind, print_) for kind, print_ in fingerprints
                  if (print_ in lines if kind == "line" else print_ in text))


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_student_copies_contain_no_solution(path):
    """No student copy holds a line, expression or text of ANY notebook's solution cells."""
    fingerprints = set().union(*(solution_fingerprints(read(p)) for p in SOURCES))
    assert leaks(read(EXERCISES / path.name), fingerprints) == []


def test_the_leak_detector_finds_a_solution_in_a_shared_cell():
    source = read(SOURCES[0])
    pair = build.exercise_pairs(source)[0]
    solution = source.cells[pair[0] + 1].source
    fingerprints = solution_fingerprints(source)
    assert fingerprints
    student = build.student_copy(source)
    assert leaks(student, fingerprints) == []
    student.cells.append(nbformat.v4.new_markdown_cell(f"Summary: `{solution.splitlines()[-1]}`"))
    assert leaks(student, fingerprints)


# --------------------------------------------------------------------------- Think! answers
def think_sequence(text: str) -> list[str]:
    """'Q' for each Think! question of a markdown text and 'A' for each answer region, in order.

    A question is a ``**Think! N.M**`` or a numbered item of a ``## Think!`` section.
    """
    sequence, in_section = [], False
    for line in text.splitlines():
        if line.startswith("## "):
            in_section = line.strip() == "## Think!"
        item = in_section and re.match(r"\d+\. ", line)
        if re.search(r"\*\*Think! \d+\.\d+\*\*", line) or item:
            sequence.append("Q")
        elif line.strip() == build.BEGIN_ANSWER:
            sequence.append("A")
    return sequence


def answer_texts(nb) -> list[str]:
    return [part.strip() for c in nb.cells if c.cell_type == "markdown"
            for answer, part in build.answer_parts(c.source) if answer]


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_every_think_question_is_answered_in_the_solution_copy_only(path):
    source = read(path)
    for index, cell in enumerate(source.cells):
        if cell.cell_type == "markdown":
            sequence = think_sequence(cell.source)
            assert "".join(sequence) == "QA" * (len(sequence) // 2), \
                f"cell {index}: each Think! question needs one answer right after it"
    answers = answer_texts(source)
    assert answers and all(len(text) > 40 for text in answers)
    student, solution = read(EXERCISES / path.name), read(EXERCISES / "solutions" / path.name)
    student_text = "\n".join(c.source for c in student.cells)
    solution_text = "\n".join(c.source for c in solution.cells)
    assert build.BEGIN_ANSWER not in student_text + solution_text
    assert not [text for text in answers if text in student_text]
    assert all(text in solution_text for text in answers)
    course = read(build.course_path(path))
    for cell in course.cells:
        if "**Answer.**" in cell.source:
            grader = cell.metadata["nbgrader"]
            assert grader["task"] and grader["locked"] and grader["points"] == 0
            assert "### BEGIN MARK SCHEME" in cell.source


def test_an_answer_without_its_end_is_an_error_and_the_sequence_finds_a_missing_answer():
    with pytest.raises(ValueError, match="without"):
        build.answer_parts(f"> **Think! 9.9** Why?\n{build.BEGIN_ANSWER}\n> Because.")
    with pytest.raises(ValueError, match="unbalanced"):
        build.answer_parts(f"text\n{build.END_ANSWER}")
    text = (f"## Think!\n\n1. Why?\n   {build.BEGIN_ANSWER}\n   Because.\n   {build.END_ANSWER}"
            "\n2. How?")
    assert think_sequence(text) == ["Q", "A", "Q"]
    cell = nbformat.v4.new_markdown_cell(text)
    assert build.student_copy(nbformat.v4.new_notebook(cells=[cell])).cells[0].source \
        == "## Think!\n\n1. Why?\n2. How?"


# --------------------------------------------------------------------------- time estimates
def test_time_estimates_come_from_one_table(monkeypatch):
    assert build.time_problems() == []
    assert all(70 <= minutes <= 100 for minutes in build.MINUTES.values()), \
        "measured walks took 70-100 minutes per notebook"
    monkeypatch.setitem(build.MINUTES, "05", build.MINUTES["05"] - 10)
    assert any("05_" in p for p in build.time_problems())
    assert any("index.ipynb: notebook 05" in p for p in build.time_problems())


# --------------------------------------------------------------------------- notebook 5, section 5
def test_notebook_5_section_5_takes_its_numbers_from_the_run():
    """The static text of section 5 quotes no measured number: the code writes those."""
    path = next(p for p in SOURCES if p.name.startswith("05"))
    cells = read(path).cells
    start = next(i for i, c in enumerate(cells) if c.source.startswith("## 5 "))
    end = next(i for i, c in enumerate(cells) if i > start and re.search(r"^## 6 ", c.source, re.M))
    static = "\n".join(c.source for c in cells[start:end] if c.cell_type == "markdown")
    assert not re.search(r"\d+(\.\d+)?\s*(mV|%|spikes)|w_exp\s*=\s*-?\d", static)
    written = [c for c in cells[start:end] if c.cell_type == "code" and "Markdown(" in c.source]
    assert len(written) >= 2
    solution = read(EXERCISES / "solutions" / path.name)
    outputs = [o.data["text/markdown"] for c in solution.cells if c.cell_type == "code"
               for o in c.get("outputs", []) if "text/markdown" in o.get("data", {})]
    assert any("cliff" in text for text in outputs)
    printed = "".join(_output_text(c) for c in solution.cells if c.cell_type == "code")
    rmse = re.search(r"RMS error of v: ([\d.]+) mV", printed).group(1)
    assert any(f"RMS error of {rmse} mV" in text for text in outputs), \
        "the text quotes the RMS error the checked cell printed"
