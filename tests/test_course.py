"""The nbgrader course: real nbgrader, a temporary course directory, one assignment.

``exercises/build.py`` writes the nbgrader source of every exercise notebook
(``exercises/course/source``); ``python3 tasks.py course ...`` wraps nbgrader's commands with
the committed ``exercises/course/nbgrader_config.py``. These tests run that flow on ONE
assignment (notebook 5: Loihi, quick, four graded checks) with the short Binder parameters:

* the solution gets full marks, an untouched student copy zero (with every check's hint in
  its feedback HTML), a copy with one wrong answer partial marks and that check's hint; the
  grades CSV has one row per student;
* a submission with a deleted graded cell and one that runs forever are graded as far as they
  go, and the other students are still graded (a tiny two-check assignment, to stay quick).
"""

from __future__ import annotations

import csv
import html
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest
from support import load_script

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "05_loihi_fixed_point"
#: the wrong answer of one student: the first-order approximation of the decay register
EULER = "    return round(4096 / tau)"

pytestmark = pytest.mark.notebooks


tasks = load_script("dynsim_tasks", ROOT / "tasks.py")
build = load_script("exercise_build_course", ROOT / "exercises" / "build.py")


def _short_parameters() -> dict[str, object]:
    warm = load_script("warm_cache_course", ROOT / "binder" / "warm_cache.py")
    return {**warm.PARAMETERS, "engine": "numpy"}


def _course(root: Path) -> Path:
    """A course directory with the committed config and ONE assignment, short parameters."""
    root.mkdir()
    shutil.copy2(tasks.COURSE / "nbgrader_config.py", root / "nbgrader_config.py")
    target = root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    target.parent.mkdir(parents=True)
    nb = nbformat.read(tasks.COURSE / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    cell.source = "\n".join(f"{k} = {v!r}" for k, v in _short_parameters().items())
    nbformat.write(nb, target)
    return root


def _run(step: str, root: Path, *rest: str, timeout: int | None = None) -> None:
    env = {**tasks.child_env(Path(sys.executable)), "DYNSIM_ENGINE": "numpy"}
    if timeout is not None:
        env["DYNSIM_CELL_TIMEOUT"] = str(timeout)
    assert tasks.run_course(step, root, list(rest), sys.executable, env) == 0, step


def _answered(nb) -> nbformat.NotebookNode:
    """A released notebook with every solution region of the source filled in."""
    out = nbformat.from_dict(nb)
    for cell in out.cells:
        grader = cell.metadata.get("nbgrader", {})
        if grader.get("solution"):
            lines = [line for line in cell.source.splitlines() if "SOLUTION" not in line]
            cell.source = "\n".join(lines)
    return out


def _submit(root: Path, students: dict[str, nbformat.NotebookNode]) -> Path:
    folder = root.parent / "inbox"
    for student, nb in students.items():
        (folder / student / ASSIGNMENT).mkdir(parents=True)
        nbformat.write(nb, folder / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    return folder


def _grades(root: Path) -> dict[str, tuple[float, float]]:
    with open(root / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in rows}


def _feedback(root: Path, student: str) -> str:
    page = root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def _graded_cells(nb) -> list:
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def _model_tau(nb) -> float:
    source = "\n".join(c.source for c in nb.cells)
    return float(re.search(r"FloatLIF\(tau_m=([\d.]+)", source).group(1))


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """Generate, release, collect, autograde, feedback and export a class of three."""
    start = time.perf_counter()
    root = _course(tmp_path_factory.mktemp("course") / "course")
    _run("generate", root)
    _run("release", root)
    assert (root / "exchange" / "dynsim" / "outbound" / ASSIGNMENT).is_dir()
    released = nbformat.read(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    source = nbformat.read(root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    solution = _answered(source)
    wrong = _answered(source)
    answer = next(c for c in wrong.cells if "def decay_register(" in c.source)
    answer.source = re.sub(r"    return round\(4096 \* .*", EULER, answer.source)
    assert EULER in answer.source
    inbox = _submit(root, {"alice": solution, "bob": released, "carol": wrong})
    _run("collect", root, str(inbox))
    _run("autograde", root)
    _run("feedback", root)
    _run("grades", root)
    print(f"[course] three students graded in {time.perf_counter() - start:.0f} s")
    return root, source


def test_released_notebook_holds_no_solution_and_no_hidden_test(graded_class):
    root, source = graded_class
    released = nbformat.read(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    text = "\n".join(c.source for c in released.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert "round(4096 * (1 - math.exp(-1 / tau)))" not in text
    assert "### BEGIN HIDDEN TESTS" in "\n".join(c.source for c in source.cells)
    assert all(c.metadata["nbgrader"]["locked"] for c in _graded_cells(released))


def test_grades_full_zero_and_partial(graded_class):
    root, source = graded_class
    grades = _grades(root)
    assert sorted(grades) == ["alice", "bob", "carol"]
    maximum = float(len(_graded_cells(source)))
    assert maximum >= 2
    assert grades["alice"] == (maximum, maximum)
    assert grades["bob"] == (0.0, maximum)
    assert grades["carol"] == (maximum - 1, maximum)


def test_feedback_carries_the_hints(graded_class):
    from dynsim.checks import UNANSWERED, answer_from
    from dynsim.checks.loihi import check_decay_register

    root, source = graded_class
    untouched = _feedback(root, "bob")
    assert untouched.count(UNANSWERED) >= len(_graded_cells(source))
    tau = _model_tau(source)
    hint = check_decay_register(answer_from(lambda t: round(4096 / t), tau), tau=tau)
    assert not hint
    wrong = _feedback(root, "carol")
    assert str(hint) in wrong
    assert UNANSWERED not in wrong and str(hint) not in _feedback(root, "alice")


def _tiny_source() -> nbformat.NotebookNode:
    """A two-exercise notebook in the source convention (stub, solution, self-check)."""
    def code(text, *tags_):
        cell = nbformat.v4.new_code_cell(text)
        cell.metadata["tags"] = list(tags_)
        return cell

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        code("import math\n\nfrom dynsim.checks import answer_from\n"
             "from dynsim.checks.loihi import check_decay_register, check_integer_decay"),
        code("def decay_register(tau):\n    raise NotImplementedError(\"Exercise 1\")", "student"),
        code("def decay_register(tau):\n    return round(4096 * (1 - math.exp(-1 / tau)))",
             "solution"),
        code("# NBVAL_CHECK_OUTPUT\ncheck_decay_register(answer_from(decay_register, 20), tau=20)"),
        code("def loihi_decay(x, d):\n    raise NotImplementedError(\"Exercise 2\")", "student"),
        code("def loihi_decay(x, d):\n    import numpy as np\n\n"
             "    return np.sign(x) * ((np.abs(x) * (4096 - d)) >> 12)", "solution"),
        code("# NBVAL_CHECK_OUTPUT\ncheck_integer_decay(loihi_decay)"),
    ]
    return nb


def test_a_deleted_cell_and_an_endless_loop_do_not_stop_the_grading(tmp_path):
    """Dave deleted a graded cell, Erin's answer never returns: both graded, nothing stops.

    A tiny two-check assignment made by ``build.course_source`` keeps this test quick.
    """
    root = tmp_path / "course"
    name = "tiny"
    (root / "source" / name).mkdir(parents=True)
    shutil.copy2(tasks.COURSE / "nbgrader_config.py", root / "nbgrader_config.py")
    source = build.course_source(_tiny_source(), "99")
    nbformat.write(source, root / "source" / name / f"{name}.ipynb")
    _run("generate", root)
    deleted, endless = _answered(source), _answered(source)
    first = _graded_cells(deleted)[0]
    deleted.cells = [c for c in deleted.cells if c is not first]
    answer = next(c for c in endless.cells if "def decay_register(" in c.source)
    answer.source = answer.source.replace("    return round(4096 * (1 - math.exp(-1 / tau)))",
                                          "    while True:\n        pass")
    inbox = tmp_path / "inbox"
    for student, nb in (("alice", _answered(source)), ("dave", deleted), ("erin", endless)):
        (inbox / student / name).mkdir(parents=True)
        nbformat.write(nb, inbox / student / name / f"{name}.ipynb")
    _run("collect", root, str(inbox))
    _run("autograde", root, timeout=60)  # the import of brian2 takes ~10 s on a busy machine
    _run("grades", root)
    with open(root / "grades.csv", newline="") as handle:
        grades = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    # the deleted check scores nothing, the other one does; the endless check is stopped by
    # the cell timeout and the next one still runs and scores
    assert grades == {"alice": 2.0, "dave": 1.0, "erin": 1.0}, grades


def test_collect_takes_only_assignments_of_the_course(tmp_path):
    root = tmp_path / "course"
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    inbox = tmp_path / "inbox"
    (inbox / "zoe" / ASSIGNMENT).mkdir(parents=True)
    (inbox / "zoe" / ASSIGNMENT / "x.ipynb").write_text("{}")
    (inbox / "zoe" / "not_an_assignment").mkdir()
    assert tasks.collect_submissions(inbox, root) == ["zoe"]
    assert (root / "submitted" / "zoe" / ASSIGNMENT / "x.ipynb").exists()
    assert not (root / "submitted" / "zoe" / "not_an_assignment").exists()
    with pytest.raises(SystemExit, match="unknown assignment"):
        tasks.course_assignments(root, ["nope"])


def test_every_notebook_has_a_course_source_with_graded_checks():
    for path in build.sources():
        nb = nbformat.read(build.course_path(path), 4)
        graded = _graded_cells(nb)
        answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
        assert len(graded) == len(answers) == len(build.exercise_pairs(nbformat.read(path, 4)))
        for cell in graded:
            assert cell.metadata["nbgrader"]["points"] == 1 and "DYNSIM_GRADING" in cell.source
        for cell in answers:
            assert cell.source.count("### BEGIN SOLUTION") == 1


def test_grading_mode_turns_a_not_yet_into_an_assertion(monkeypatch):
    cell = build.graded_check_cell("# NBVAL_CHECK_OUTPUT\ncheck_x(answer_from(f, 1), 1)", "99")
    namespace = {"check_x": lambda answer, value: answer, "answer_from": lambda f, v: f(v),
                 "f": lambda v: False}
    monkeypatch.delenv("DYNSIM_GRADING", raising=False)
    exec(compile(cell, "cell", "exec"), dict(namespace))  # the student's own run: no raise
    monkeypatch.setenv("DYNSIM_GRADING", "1")
    with pytest.raises(AssertionError):
        exec(compile(cell, "cell", "exec"), dict(namespace))
    namespace["f"] = lambda v: True
    exec(compile(cell, "cell", "exec"), dict(namespace))
    assert os.environ["DYNSIM_GRADING"] == "1"


def test_a_stale_course_source_is_found(tmp_path, monkeypatch):
    """``exercises/build.py --check`` compares the nbgrader sources too (cells and metadata)."""
    shutil.copytree(build.COURSE_SOURCE_DIR, tmp_path / "source")
    monkeypatch.setattr(build, "COURSE_SOURCE_DIR", tmp_path / "source")
    assert build.check() == []
    path = build.course_path(build.sources()[0])
    nb = nbformat.read(path, 4)
    _graded_cells(nb)[0].metadata["nbgrader"]["points"] = 2
    nbformat.write(nb, path)
    assert [p for p in build.check() if "nbgrader course source" in p]
    path.unlink()
    assert [p for p in build.check() if "missing" in p]


def test_think_answers_are_mark_schemes_that_a_release_removes():
    """Each Think! answer is a mark scheme of a valid, locked task cell (no points); nbgrader's
    own ClearMarkScheme (run by ``generate_assignment``) leaves none of it in a release."""
    from nbgrader.nbgraderformat import MetadataValidator
    from nbgrader.preprocessors import ClearMarkScheme

    for path in build.sources():
        nb = nbformat.read(build.course_path(path), 4)
        MetadataValidator().validate_nb(nb)
        tasks_ = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("task")]
        assert tasks_ and all("### BEGIN MARK SCHEME" in c.source for c in tasks_)
        assert all(c.metadata["nbgrader"]["locked"] and c.metadata["nbgrader"]["points"] == 0
                   for c in tasks_)
        released, _ = ClearMarkScheme().preprocess(nb, {})
        text = "\n".join(c.source for c in released.cells)
        assert "**Answer.**" not in text and "MARK SCHEME" not in text
        assert "Think!" in text
