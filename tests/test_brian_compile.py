"""How dynsim has Brian2 compile a Cython module: in a short-lived child, with ``-g0``.

Each test runs in a fresh Python process (``_run``) with a Cython cache of its own, so what a
process imported while compiling (Cython's compiler) and the files a compile leaves are its
own. The modules are tiny (a few seconds of compiler each).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("Cython")

#: Prologue of every child script: dynsim's Brian2 settings over the given Cython cache.
_PROLOGUE = """\
import json, os, sys
from brian2 import prefs
prefs.codegen.runtime.cython.cache_dir = sys.argv[1]
import dynsim._brian as settings
settings.configure()
from brian2.codegen.runtime.cython_rt.extension_manager import cython_extension_manager
settings.COMPILE_IN_CHILD = sys.argv[2] == "child"
"""


def _run(script: str, cache: Path, mode: str, cwd: Path,
         environ: dict[str, str] | None = None) -> dict:
    """Run ``_PROLOGUE + script`` in a new process (in ``cwd``); return the JSON it prints."""
    env = {k: v for k, v in os.environ.items() if k != "DYNSIM_COMPILE_IN_CHILD"}
    done = subprocess.run([sys.executable, "-c", _PROLOGUE + textwrap.dedent(script),
                           str(cache), mode], cwd=cwd, capture_output=True, text=True,
                          check=False, timeout=300, env={**env, **(environ or {})})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


#: A module of Brian2's kind (a ``main`` over a namespace); the token makes it new to any cache.
_COMPILE = """\
code = "#cython: language_level=3\\ndef main(dict namespace):\\n" \\
       "    cdef double x = namespace['x']\\n    return x * x + len(%r)\\n" % sys.argv[3]
module = cython_extension_manager.create_extension(code)
print(json.dumps({"value": module.main({"x": 1.5}), "name": module.__name__,
                  "file": module.__file__,
                  "compiler_here": "Cython.Compiler.Pipeline" in sys.modules}))
"""


def _files(cache: Path) -> list[str]:
    """Return what a cache folder holds (Brian2's build folder repeats the cache's path)."""
    return sorted(str(p.relative_to(cache)).replace(cache.name, "<cache>")
                  for p in cache.rglob("*"))


def _compile(tmp_path: Path, mode: str, token: str) -> tuple[dict, Path]:
    cache, work = tmp_path / f"cache-{mode}", tmp_path / f"work-{mode}"
    work.mkdir()
    script = _COMPILE.replace("sys.argv[3]", repr(token))
    return _run(script, cache, mode, work), cache


def test_a_module_compiled_in_a_child_is_the_module_compiled_in_the_process(tmp_path):
    token = os.urandom(6).hex()
    child, child_cache = _compile(tmp_path, "child", token)
    here, here_cache = _compile(tmp_path, "process", token)
    # the same module name (Brian2's hash of the code), the same result: 1.5**2 + len(token)
    assert child["name"] == here["name"]
    assert child["value"] == here["value"] == 1.5 ** 2 + len(token)
    # the caller loaded the finished file and never ran Cython's compiler itself
    assert child["compiler_here"] is False and here["compiler_here"] is True
    assert Path(child["file"]).parent == child_cache
    # nothing left in the working directory, and in the cache what a compile here leaves
    assert not any((tmp_path / "work-child").iterdir())
    assert _files(child_cache) == _files(here_cache)


@pytest.mark.skipif(platform.system() != "Linux", reason="reads ELF section names")
def test_a_cython_module_is_compiled_without_debug_information(tmp_path):
    child, _ = _compile(tmp_path, "child", os.urandom(6).hex())
    assert b".debug_info" not in Path(child["file"]).read_bytes()
    from brian2 import prefs  # a standalone project's flags are Brian2's, unchanged

    import dynsim._brian

    dynsim._brian.configure()
    assert not set(dynsim._brian.CYTHON_EXTRA_FLAGS) & set(
        prefs.codegen.cpp.extra_compile_args_gcc)


#: C++ that does not compile (an unknown header): distutils' CompileError in Brian2's build.
_BROKEN = """\
code = '#cython: language_level=3\\ncdef extern from "no_such_header_%s.h":\\n' \\
       '    int no_such_function()\\ndef main():\\n    return no_such_function()\\n' % sys.argv[3]
try:
    cython_extension_manager.create_extension(code)
    print(json.dumps({"error": None}))
except Exception as error:
    print(json.dumps({"error": type(error).__name__, "module": type(error).__module__,
                      "message": str(error).replace(sys.argv[1], "<cache>")}))
"""


def test_a_compile_error_in_the_child_is_the_error_of_a_compile_in_the_process(tmp_path):
    token = os.urandom(6).hex()
    seen = {}
    for mode in ("child", "process"):
        work = tmp_path / f"work-{mode}"
        work.mkdir()
        seen[mode] = _run(_BROKEN.replace("sys.argv[3]", repr(token)),
                          tmp_path / "cache", mode, work)  # one cache: the same paths
    assert seen["child"]["error"] is not None
    assert seen["child"] == seen["process"]


@pytest.mark.parametrize(("value", "expected"), [("0", False), ("1", True), (" 1 ", True)])
def test_the_environment_variable_decides_where_a_module_is_compiled(value, expected):
    from dynsim._brian import COMPILE_IN_CHILD_ENV, compile_in_child

    assert compile_in_child({COMPILE_IN_CHILD_ENV: value}) is expected


@pytest.mark.parametrize("default", [True, False])
def test_without_the_environment_variable_the_module_setting_decides(monkeypatch, default):
    import dynsim._brian
    from dynsim._brian import compile_in_child

    monkeypatch.setattr(dynsim._brian, "COMPILE_IN_CHILD", default)
    assert compile_in_child({}) is default
    assert compile_in_child({"DYNSIM_COMPILE_IN_CHILD": ""}) is default


@pytest.mark.parametrize("value", ["yes", "true", "2", "-1", "01", "child"])
def test_a_bad_value_of_the_environment_variable_is_refused_naming_the_choices(value):
    from dynsim._brian import COMPILE_IN_CHILD_ENV, compile_in_child
    from dynsim.errors import EngineError

    with pytest.raises(EngineError, match=r"DYNSIM_COMPILE_IN_CHILD must be 1 .* or 0 "):
        compile_in_child({COMPILE_IN_CHILD_ENV: value})


def test_the_environment_variable_compiles_in_the_process_that_needs_the_module(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    script = _COMPILE.replace("sys.argv[3]", repr(os.urandom(6).hex()))
    # the module setting says "child"; the variable, read at the compile, says "here"
    here = _run(script, tmp_path / "cache", "child", work, {"DYNSIM_COMPILE_IN_CHILD": "0"})
    assert here["compiler_here"] is True


_BAD_SETTING = """\
from dynsim.errors import EngineError
code = "#cython: language_level=3\\ndef main(dict namespace):\\n    return 1\\n"
try:
    cython_extension_manager.create_extension(code)
    print(json.dumps({"error": None}))
except EngineError as error:
    print(json.dumps({"error": str(error), "files": os.listdir(sys.argv[1])
                      if os.path.isdir(sys.argv[1]) else [],
                      "compiler_here": "Cython.Compiler.Pipeline" in sys.modules}))
"""


def test_a_bad_value_stops_the_compile_before_anything_is_made(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    seen = _run(_BAD_SETTING, tmp_path / "cache", "child", work,
                {"DYNSIM_COMPILE_IN_CHILD": "maybe"})
    assert "'maybe'" in seen["error"]
    assert not [name for name in seen["files"] if name.endswith((".so", ".pyd", ".cpp"))]
    assert seen["compiler_here"] is False
