"""The lab's kernel (``dynsim.widgets.lab_kernel``): ipykernel's python3 kernel with a preload.

Reference for the spec: ipykernel's own ``get_kernel_dict`` (the standard kernel), which the
lab's spec must equal but for one argument. The preload is checked in real kernels started by
jupyter_client from the installed spec, as JupyterLab starts them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dynsim.widgets import lab_kernel
from ipykernel.kernelspec import get_kernel_dict
from support import load_script

ROOT = Path(__file__).resolve().parents[2]
TASKS = load_script("dynsim_tasks_lab_kernel", ROOT / "tasks.py")

#: Prints, in a kernel, what the preload imported and which python3 kernel its children get.
_NAMES = repr(lab_kernel.PRELOAD_MODULES)
_PROBE = ("import os, sys, json\n"
          "from jupyter_client.kernelspec import KernelSpecManager\n"
          "print(json.dumps({"
          f"'modules': [m in sys.modules for m in {_NAMES}], "
          f"'namespace': [m.split('.')[0] in globals() for m in {_NAMES}], "
          "'children': KernelSpecManager().get_kernel_spec('python3').argv[3:], "
          "'variable': os.environ.get('DYNSIM_LAB_KERNEL_DIR')}))")


def test_spec_is_the_standard_kernel_with_the_extension(tmp_path):
    standard = get_kernel_dict()
    spec = lab_kernel.kernel_spec("/some/python")
    assert spec["argv"] == ["/some/python", *standard["argv"][1:],
                            "--IPKernelApp.extensions=dynsim.widgets.lab_kernel"]
    assert {k: v for k, v in spec.items() if k != "argv"} == \
        {k: v for k, v in standard.items() if k != "argv"}
    assert lab_kernel.kernel_spec()["argv"][0] == sys.executable
    # written into a data directory, the spec tells its kernel which one
    assert lab_kernel.kernel_spec(data_dir=tmp_path)["env"] == \
        {"DYNSIM_LAB_KERNEL_DIR": str(tmp_path)}


def test_install_writes_a_spec_jupyter_finds_and_replaces_it(tmp_path):
    from jupyter_client.kernelspec import KernelSpecManager

    folder = lab_kernel.install(tmp_path, "/first/python")
    assert folder == tmp_path / "kernels" / "python3"
    assert {"kernel.json", "logo-32x32.png", "logo-64x64.png"} <= {p.name for p in
                                                                   folder.iterdir()}
    lab_kernel.install(tmp_path, "/second/python")  # again: replaced, nothing left over
    assert [p.name for p in (tmp_path / "kernels").iterdir()] == ["python3"]
    found = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")]).get_kernel_spec("python3")
    assert found.argv == lab_kernel.kernel_spec("/second/python")["argv"]


@pytest.mark.parametrize("path, left", [
    (["{ours}", "/a"], "/a"), (["/a", "{ours}/", "/b"], "/a:/b"), (["{ours}"], None),
    (["/a"], "/a"), (None, None)])
def test_extension_gives_children_the_standard_kernel_and_preloads(monkeypatch, tmp_path,
                                                                   path, left):
    """The spec's directory leaves the kernel's JUPYTER_PATH (its children get python3)."""
    calls = []
    monkeypatch.setattr(lab_kernel, "preload", lambda: calls.append(True))
    monkeypatch.setenv("DYNSIM_LAB_KERNEL_DIR", str(tmp_path))
    if path is None:
        monkeypatch.delenv("JUPYTER_PATH", raising=False)
    else:
        monkeypatch.setenv("JUPYTER_PATH", os.pathsep.join(
            p.format(ours=tmp_path) for p in path))
    lab_kernel.load_ipython_extension(None)
    assert calls == [True]
    assert os.environ.get("JUPYTER_PATH") == (None if left is None
                                              else left.replace(":", os.pathsep))
    assert "DYNSIM_LAB_KERNEL_DIR" not in os.environ


def test_preload_imports_in_order_and_times_each(tmp_path, monkeypatch):
    for name in ("dynsim_probe_a", "dynsim_probe_b"):
        (tmp_path / f"{name}.py").write_text("import sys\nORDER = len(sys.modules)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seconds = lab_kernel.preload(("dynsim_probe_a", "dynsim_probe_b"))
    try:
        assert list(seconds) == ["dynsim_probe_a", "dynsim_probe_b"]
        assert all(s >= 0 for s in seconds.values())
        assert sys.modules["dynsim_probe_a"].ORDER < sys.modules["dynsim_probe_b"].ORDER
    finally:
        for name in seconds:
            sys.modules.pop(name, None)


def _kernel_reports(spec_dir: Path, env: dict[str, str]) -> dict:
    """Start the installed lab kernel, run :data:`_PROBE`, return what it printed."""
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    km = KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(
        kernel_dirs=[str(spec_dir / "kernels")]))
    km.start_kernel(env=env, cwd=str(spec_dir))
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        output = []
        reply = client.execute_interactive(
            _PROBE, timeout=60, output_hook=lambda msg: output.append(
                msg["content"].get("text", "") if msg["msg_type"] == "stream" else ""))
        assert reply["content"]["status"] == "ok"
        return json.loads("".join(output))
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)


def test_a_lab_kernel_has_the_benches_imported_when_ready(tmp_path):
    """A real kernel from the spec, on the server's JUPYTER_PATH: preloaded at its first
    cell, nothing in the student's namespace, and the kernels it starts are standard."""
    data_dir = tmp_path / "jupyter"
    lab_kernel.install(data_dir)
    env = {**os.environ, "JUPYTER_PATH": os.pathsep.join([str(data_dir), "/elsewhere"])}
    seen = _kernel_reports(data_dir, env)
    assert seen == {"modules": [True] * len(lab_kernel.PRELOAD_MODULES),
                    "namespace": [False] * len(lab_kernel.PRELOAD_MODULES),
                    "children": get_kernel_dict()["argv"][3:], "variable": None}


def test_tasks_lab_kernel_settings_put_the_spec_first_on_the_jupyter_path(tmp_path):
    env = {**os.environ, "JUPYTER_PATH": os.pathsep.join(["/a", "/b"])}
    settings = TASKS.lab_kernel_settings(Path(sys.executable), tmp_path / "jupyter", env)
    assert settings == {"JUPYTER_PATH": os.pathsep.join([str(tmp_path / "jupyter"), "/a",
                                                         "/b"])}
    spec = json.loads((tmp_path / "jupyter" / "kernels" / "python3" / "kernel.json").read_text())
    assert spec["argv"] == lab_kernel.kernel_spec(sys.executable)["argv"]
    env.pop("JUPYTER_PATH")
    assert TASKS.lab_kernel_settings(Path(sys.executable), tmp_path / "j2", env) == \
        {"JUPYTER_PATH": str(tmp_path / "j2")}


@pytest.mark.parametrize("written", [True, False])
def test_binder_start_puts_the_lab_kernel_on_the_path_once_written(tmp_path, written):
    """``binder/start`` finds what ``binder/postBuild`` wrote (the same directory)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DYNSIM_", "JUPYTER", "XDG_"))}
    env.update(HOME=str(tmp_path), JUPYTER_PATH="/theirs",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    data_dir = tmp_path / ".cache" / "dynsim" / "jupyter"
    if written:  # the line of binder/postBuild that writes it, run as postBuild runs it
        line = next(x for x in (ROOT / "binder" / "postBuild").read_text().splitlines()
                    if "dynsim.widgets.lab_kernel" in x and not x.startswith("#"))
        subprocess.run(["bash", "-c", line], env=env, check=True, timeout=120)
        assert (data_dir / "kernels" / "python3" / "kernel.json").is_file()
    out = subprocess.run([str(ROOT / "binder" / "start"), sys.executable, "-c",
                          "import os; print(os.environ.get('JUPYTER_PATH'))"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    expected = f"{data_dir}{os.pathsep}/theirs" if written else "/theirs"
    assert out.stdout.split() == [expected]
