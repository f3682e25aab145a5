"""Paths a tool writes to: never one of its inputs, and writable before any work is done."""
from __future__ import annotations

import os
import tempfile

from common.system.errors import InputError


def same_place(a: str, b: str) -> bool:
    """Whether two paths name one file or folder (symlinks and relative parts resolved)."""
    return os.path.realpath(a) == os.path.realpath(b)


def refuse_output_over_input(output: str, source: str) -> None:
    """InputError when writing `output` (a file or folder of outputs named as the inputs) would replace
    `source`: the same file, or the same folder."""
    if output and source and same_place(output, source):
        raise InputError(f"{output}: the output is the input ({os.path.realpath(source)}); "
                         f"it would be overwritten: write elsewhere")


def unwritable(folder: str) -> str | None:
    """Why files cannot be written in `folder` (created if missing), or None. Tried, not read from the permission
    bits, which say nothing to root or on a read-only mount."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        return "not a directory"
    try:
        os.makedirs(folder, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as e:
        return e.strerror or str(e)
    return None


def check_output_folder(folder: str, what: str) -> None:
    """InputError naming `what` (e.g. '--save_path') unless files can be written in `folder`."""
    if (problem := unwritable(folder)) is not None:
        raise InputError(f"{what} {folder}: {problem}")


def check_output_file(path: str, what: str) -> None:
    """InputError naming `what` (e.g. '--json') unless `path` can be written: not a folder, in a writable one."""
    if os.path.isdir(path):
        raise InputError(f"{what} {path}: is a directory")
    folder = os.path.dirname(os.path.abspath(path))
    if (problem := unwritable(folder)) is not None:
        raise InputError(f"{what} {path}: cannot be written in {folder} ({problem})")
