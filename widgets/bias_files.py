"""Where a bias panel may read and write files, and what it says when a file is wrong.

The bias panel saves a core's biases as JSON in dynsim's bias-file layout and loads that
layout or samna's cereal parameter-group layout (``value0.paramMap``, the layout Rockpool
writes for samna; see :func:`dynsim.dynapse.config.parameter_group_to_json`). A path typed into a
notebook widget is typed by whoever sees the page (in Voila or on Binder: anybody), so:

* files live in ONE folder, the notebook's (the kernel's working directory when the panel
  was made); a path is resolved (``..``, symbolic links) and refused when it leaves that
  folder; ``~`` is not expanded;
* an existing file is replaced only when it is a bias file (its content parses as one, see
  :func:`is_bias_file`), unless ``overwrite=True`` is asked for;
* a file is read only up to :data:`MAX_BIAS_FILE_BYTES`, and a file that cannot be read
  gives a short error naming the file and the kind of problem, never the file's content;
* the path box and its save/load buttons appear only when :func:`file_controls_enabled`
  says so: on by default in JupyterLab, off in Voila and on Binder, and
  ``DYNSIM_FILE_CONTROLS=0`` or ``=1`` decides everywhere. Upload (from the student's
  machine) and the download link never touch the server's files and are always offered.

Examples
--------
>>> import tempfile
>>> folder = BiasFolder(tempfile.mkdtemp())
>>> folder.resolve("biases.json").name
'biases.json'
>>> folder.resolve("../elsewhere.json")
Traceback (most recent call last):
...
dynsim.errors.BiasFileError: '../elsewhere.json' is outside the notebook's folder; give a file name in it, e.g. 'biases_Core_0.json'
"""  # noqa: E501

from __future__ import annotations

import os
from pathlib import Path

from dynsim.dynapse.config import Dynapse1ParameterGroup, parameter_group_from_json
from dynsim.errors import BiasFileError, ConfigurationFormatError

__all__ = [
    "FILE_CONTROLS_ENV",
    "MAX_BIAS_FILE_BYTES",
    "BiasFolder",
    "file_controls_enabled",
    "is_bias_file",
    "read_bias_text",
]

#: Environment variable that switches the path box and its save/load buttons on (1) or off (0).
FILE_CONTROLS_ENV = "DYNSIM_FILE_CONTROLS"

#: The largest bias file read (bytes). The 25 biases of a core take about 3 kB of JSON.
MAX_BIAS_FILE_BYTES = 64 * 1024

_YES = ("1", "true", "yes", "on")
_NO = ("0", "false", "no", "off")
#: Set in the kernel's environment by Binder (repo2docker launches) and by Voila.
_BINDER_VARIABLES = ("BINDER_LAUNCH_HOST", "BINDER_REPO_URL", "BINDER_REQUEST")
_VOILA_PREFIX = "VOILA_"


def file_controls_enabled(environ: os._Environ[str] | dict[str, str] | None = None) -> bool:
    """Return whether a bias panel shows the path box with its save and load buttons.

    ``DYNSIM_FILE_CONTROLS`` decides when set (``1``/``true``/``yes``/``on`` or
    ``0``/``false``/``no``/``off``); otherwise the controls are off in Voila (a ``VOILA_*``
    variable in the kernel's environment) and on Binder (``BINDER_*``), and on elsewhere.

    Raises
    ------
    dynsim.errors.BiasFileError
        For another value of ``DYNSIM_FILE_CONTROLS``, naming the valid ones.

    Examples
    --------
    >>> file_controls_enabled({})
    True
    >>> file_controls_enabled({"VOILA_KERNEL_ID": "k"}), file_controls_enabled(
    ...     {"VOILA_KERNEL_ID": "k", "DYNSIM_FILE_CONTROLS": "1"})
    (False, True)
    """
    env = os.environ if environ is None else environ
    value = env.get(FILE_CONTROLS_ENV)
    if value is not None and value.strip() != "":
        word = value.strip().lower()
        if word in _YES:
            return True
        if word in _NO:
            return False
        raise BiasFileError(f"{FILE_CONTROLS_ENV}={value[:20]!r}: use 1 (file controls on) or "
                            "0 (off)")
    if any(key.startswith(_VOILA_PREFIX) for key in env):
        return False
    return not any(key in env for key in _BINDER_VARIABLES)


def _short(error: BaseException, limit: int = 120) -> str:
    """First line of an error's message, without any echoed value (``', got ...'``)."""
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else type(error).__name__
    text = text.split(", got ", 1)[0].split(": got ", 1)[0]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_bias_text(data: bytes | str, name: str) -> Dynapse1ParameterGroup:
    r"""Return the parameter group in ``data`` (the content of file ``name``).

    Raises
    ------
    dynsim.errors.BiasFileError
        When ``data`` is larger than :data:`MAX_BIAS_FILE_BYTES` or not UTF-8 text.
    dynsim.errors.ConfigurationFormatError
        Naming the first invalid field (never the file's content).

    Examples
    --------
    >>> read_bias_text(b"\x80\x81", "x.json")
    Traceback (most recent call last):
    ...
    dynsim.errors.BiasFileError: 'x.json' is not a bias file: not UTF-8 text
    """
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > MAX_BIAS_FILE_BYTES:
        raise BiasFileError(f"{name!r} is not a bias file: {size} bytes, a bias file has at most "
                            f"{MAX_BIAS_FILE_BYTES}")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise BiasFileError(f"{name!r} is not a bias file: not UTF-8 text") from None
    try:
        return parameter_group_from_json(data)
    except ConfigurationFormatError as err:
        raise ConfigurationFormatError(f"{_short(err)} (in {name!r})") from None


def is_bias_file(path: Path) -> bool:
    """Return whether ``path`` is a file holding a core's biases (either JSON layout)."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_BIAS_FILE_BYTES:
            return False
        read_bias_text(path.read_bytes(), path.name)
    except (OSError, BiasFileError, ConfigurationFormatError):
        return False
    return True


class BiasFolder:
    """The one folder a bias panel reads and writes (default: the working directory now).

    Parameters
    ----------
    folder : str or os.PathLike, optional
        The folder (default: the kernel's working directory, i.e. the notebook's folder).
    """

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self.folder = Path(os.getcwd() if folder is None else folder).resolve()

    def resolve(self, path: str | os.PathLike[str], example: str = "biases_Core_0.json") -> Path:
        """Return ``path`` (relative to the folder, or absolute inside it) resolved.

        Raises
        ------
        dynsim.errors.BiasFileError
            For an empty path, a ``~`` path, or one that leaves the folder.
        """
        text = os.fspath(path)
        if not isinstance(text, str) or not text.strip():
            raise BiasFileError(f"give a file name in the notebook's folder, e.g. {example!r}")
        if len(text) > 255:
            raise BiasFileError(f"a file name has at most 255 characters, got {len(text)}")
        if text.startswith("~"):
            raise BiasFileError(f"{text!r}: '~' paths are not used; give a file name in the "
                                f"notebook's folder, e.g. {example!r}")
        target = (self.folder / text).resolve()
        if target == self.folder or not target.is_relative_to(self.folder):
            raise BiasFileError(f"{text!r} is outside the notebook's folder; give a file name "
                                f"in it, e.g. {example!r}")
        return target

    def write(self, path: str | os.PathLike[str], text: str, *, overwrite: bool = False) -> Path:
        """Write ``text`` to ``path`` in the folder; return the file written.

        Raises
        ------
        dynsim.errors.BiasFileError
            Outside the folder, a folder's name, or an existing file that is not a bias file
            (unless ``overwrite``).
        """
        target = self.resolve(path)
        if target.is_dir():
            raise BiasFileError(f"{target.name!r} is a folder; give a file name")
        if target.exists() and not overwrite and not is_bias_file(target):
            raise BiasFileError(f"{target.name!r} exists and is not a bias file; it is kept. "
                                "Choose another name, or save(path, overwrite=True) to "
                                "replace it")
        target.write_text(text)
        return target

    def read(self, path: str | os.PathLike[str]) -> Dynapse1ParameterGroup:
        """Return the biases in file ``path`` of the folder.

        Raises
        ------
        FileNotFoundError
            When there is no such file.
        dynsim.errors.BiasFileError, dynsim.errors.ConfigurationFormatError
            Outside the folder, too large, not text or not a bias file (short messages).
        """
        source = self.resolve(path)
        if not source.exists():
            raise FileNotFoundError(f"no file {source.name!r} in the notebook's folder")
        if not source.is_file():
            raise BiasFileError(f"{source.name!r} is not a file")
        size = source.stat().st_size
        if size > MAX_BIAS_FILE_BYTES:
            raise BiasFileError(f"{source.name!r} is not a bias file: {size} bytes, a bias file "
                                f"has at most {MAX_BIAS_FILE_BYTES}")
        with source.open("rb") as handle:
            data = handle.read(MAX_BIAS_FILE_BYTES + 1)
        return read_bias_text(data, source.name)
